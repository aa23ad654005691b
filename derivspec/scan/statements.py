r"""Step 2 and 3 for one statement: read it in document mode and check each of its relations.

A statement (:class:`derivspec.scan.extract.Statement`) is cleaned (alignment marks, row
annotations such as ``\quad \text{(Log product rule)}``, tags, labels, equation numbers and
decorations like ``\underbrace{X}_{\text{note}}`` removed), split into clauses (at top-level
commas, ``\quad``, implications and prose) and each clause into sides joined by relations. A
statement that starts with a relation (``= \dots``) continues the chain of the display block just
before it.

Within a statement, ``\mu = 1, \sigma = 0.5 \Rightarrow \dots`` assigns values that the later
clauses use; ``a > 0`` or ``0 < p < 1`` restrict where points are drawn.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass, field

import sympy

from derivspec.core import symbolic
from derivspec.scan.clauses import split_clauses
from derivspec.scan.reader import VALUE_ENVIRONMENTS, DocumentNames, DocumentReading, bare_names, unwrap_decorations
from derivspec.scan import algebra, claim_readings, classify, conventions, definitions, linear_gaussian, scope
from derivspec.scan import steps as step_checks
from derivspec.scan.matrices import may_be_matrices, readable
from derivspec.scan.density import check_density
from derivspec.scan.extract import Statement
from derivspec.scan.steps import Context, Side, StepResult, check_step, read_side, settle_definition
from derivspec.scan.verdicts import DEFINING, evidence_level

STATEMENT_SECONDS = 8.0
NEARBY_LINES = 6  # a definition stated this many lines before or after a statement is near it (where m_i = …)

_ROW_END_NOTE = re.compile(r"(?:\\q?quad|\\[;:]|\\hspace\*?\{[^{}]*\}|\\hfill)(?:\s|\\q?quad|\\[,;:!])*(?:\\text(?:rm|it|bf)?\{[^{}]*\}|\(\s*[A-Za-z][A-Za-z0-9.\- ]{0,30}\s*\))\s*[.,;]?\s*$")
_PAREN_TEXT = re.compile(r"\\text(?:rm|it|bf)?\{\s*\([^{}]*\)\s*\}")
_TAGS = re.compile(r"\\(?:tag\*?|label|eqref|ref)\s*\{[^{}]*\}|\\nonumber\b|\\notag\b|\\displaystyle\b|\\qedhere\b")
_EQNUM = re.compile(r"(?:\\q?quad|\\hfill|~)(?:\s|\\q?quad)*\(\s*[A-Z]?\d+(?:[.\-]\d+)*[a-z]?\s*\)\s*[.,]?\s*$")


def clean_row(row: str) -> str:
    row = _TAGS.sub(" ", row)
    row = _PAREN_TEXT.sub(" ", row)
    for _ in range(3):
        stripped = _ROW_END_NOTE.sub("", row)
        stripped = _EQNUM.sub("", stripped)
        if stripped == row:
            break
        row = stripped
    row = row.strip()
    row = re.sub(r"(?:\\[,;:! ]|\s)*[.,;]\s*$", "", row)
    return row


_COMMAND_WITH_GROUP = re.compile(r"\\[A-Za-z]+\*?\s*(?=\{)")


def drop_text_mode(text: str) -> str:
    """Commands whose braced arguments hold ``$…$`` are prose inside a display (``\text{for $x > 0$}``,
    an equation-comment macro): not part of the formula."""
    if "$" not in text:
        return text
    from derivspec.scan.macros import _group

    out, position = [], 0
    for match in _COMMAND_WITH_GROUP.finditer(text):
        if match.start() < position:
            continue
        end, groups = match.end(), []
        while end < len(text) and text[end] == "{":
            found = _group(text, end)
            if found is None:
                break
            groups.append(found[0])
            end = found[1]
            while end < len(text) and text[end] == " ":
                end += 1
        if any("$" in g for g in groups):
            out += [text[position:match.start()], " "]
            position = end
    return "".join(out) + text[position:] if out else text


# a line break, with the extra space LaTeX may put after it (\\[0.5em], \\[-2pt]): no part of the formula
_LINE_BREAK = re.compile(r"\\\\(?:\s*\[\s*-?\d*\.?\d+\s*(?:em|ex|pt|mm|cm|in|mu|bp|pc)\s*\])?")

# an empty group where no command or script takes it as an argument (what is left of a comment beside a formula
# once its prose is dropped): nothing
_EMPTY_GROUP = re.compile(r"(?<![\^_A-Za-z}])\{\s*(?:\\(?:tiny|scriptsize|footnotesize|small|normalsize|large|Large|LARGE|huge|Huge)"
                          r"(?![A-Za-z])\s*)*\}")


_ARRAY_ENVIRONMENT = re.compile(r"\\(begin|end)\s*\{\s*(" + "|".join(sorted(VALUE_ENVIRONMENTS)) + r")\s*\}")


def _outside_arrays(text: str, outside) -> str:
    """``text`` with ``outside`` applied to what lies outside matrices and cases (their ``&`` and ``\\\\`` separate
    entries and rows, which the reader reads; elsewhere they only align the display). Inside, a row break's extra
    space (``\\\\[0.5em]``) is dropped."""
    out, depth, position = [], 0, 0
    for m in _ARRAY_ENVIRONMENT.finditer(text):
        part = text[position:m.start()]
        out.append(outside(part) if depth == 0 else _LINE_BREAK.sub(r"\\\\ ", part))
        out.append(m.group())
        depth = depth + 1 if m.group(1) == "begin" else max(0, depth - 1)
        position = m.end()
    part = text[position:]
    out.append(outside(part) if depth == 0 else _LINE_BREAK.sub(r"\\\\ ", part))
    return "".join(out)


def clean(statement: Statement) -> str:
    from derivspec.core.latex import _UNICODE, _UNICODE_GREEK

    rows = [clean_row(drop_text_mode(r)) for _, r in statement.rows] if statement.rows else [
        clean_row(drop_text_mode(statement.text))]
    text = " ".join(r for r in rows if r)
    for char, latex in _UNICODE.items():  # pasted Unicode: relations and operators as LaTeX
        text = text.replace(char, latex)
    for char, name in _UNICODE_GREEK.items():
        text = text.replace(char, "\\" + name + " ")
    text = _outside_arrays(text, lambda part: _LINE_BREAK.sub(" ", part.replace("&", " ")))
    text = _EMPTY_GROUP.sub(" ", unwrap_decorations(text))
    text = transposes_marked(text)
    return " ".join(text.split())


_TRANSPOSE = re.compile(r"\^\s*(?:\{\s*(?:T|\\top|\\intercal|\\mathsf\s*\{?\s*T\s*\}?|\\rm\s*T|\\mathrm\s*\{\s*T\s*\})\s*\}|"
                        r"T)")  # ^T takes one token: w^Ta is w-transpose times a
_BIG_OPERATOR_LIMIT = re.compile(r"\\(?:sum|prod|int|oint|bigcup|bigcap|coprod|lim)\s*_\s*(?:\{[^{}]*\}|[A-Za-z0-9])\s*$")
_STANDALONE_T = re.compile(r"(?<![\\A-Za-z^])T(?![A-Za-z])")


def transposes_marked(text: str) -> str:
    """``x^T``, ``A^{T}``, ``X^{\\mathsf T}`` as the transpose ``^\\top`` -- not a power with an
    exponent T -- unless the statement uses T on its own (a horizon, ``\\sum_{t=1}^{T}``)."""
    if "T" not in text:
        return text
    without = _TRANSPOSE.sub(" ", text)
    if _STANDALONE_T.search(without):
        return text
    out, position = [], 0
    for match in _TRANSPOSE.finditer(text):
        if _BIG_OPERATOR_LIMIT.search(text[:match.start()]):
            continue
        out += [text[position:match.start()], "^{\\top}"]
        position = match.end()
    return "".join(out) + text[position:] if out else text


@dataclass
class DocumentState:
    """What the statements of one file share."""

    file: str
    names: DocumentNames = field(default_factory=DocumentNames)
    continues: list = field(default_factory=list)  # per relational statement: the display it continues (runner)
    laws: list = field(default_factory=list)  # (line, name, law) for every "name \\sim law" (scope.declared_laws)
    labels: list = field(default_factory=list)  # (line, name, kind) for every name declared in {0, 1} or {-1, +1}
    log_base: int | None = None
    conventions: list = field(default_factory=list)
    recogniser: object | None = None  # derivspec.scan.known.Recogniser
    seconds: float = STATEMENT_SECONDS
    definitions: list = field(default_factory=list)  # (line, name, distribution) named before use
    notations: frozenset = frozenset()  # accented names the document writes ((r"\bar", r"\alpha"))
    window: int = 15  # a named distribution is used within this many lines
    samples: list = field(default_factory=list)  # (line, name, distribution) of X ~ Dist(...)
    order: dict = field(default_factory=dict)  # (lines, text) -> position among the statements with a relation
    types: object = None  # derivspec.scan.matrices.DocumentTypes: the matrices and vectors the document declares
    equations: list = field(default_factory=list)  # (line, name, value): name = value stated anywhere in the document
    algorithms: frozenset = frozenset()  # lines of algorithm environments and pseudo-code (classify.document_algorithms)
    families: frozenset = frozenset()  # variables given a named family (probability.document_families)
    densities: frozenset = frozenset()  # names the document uses as densities (scope.density_names)
    defined_functions: frozenset = frozenset()  # function letters defined or described (functions.document_defined)
    normal_model: object = None  # normal_posterior.Model: a prior on a Gaussian mean, N observations
    diffusion: object = None  # ddpm_kernel.Diffusion: the forward process the document speaks of
    beta_model: object = None  # conjugate_map.Model: a Beta prior on a Bernoulli parameter
    mc_estimators: tuple = ()  # monte_carlo.document_estimators: means of n draws defined
    linear_gaussian: object = None  # linear_gaussian.Model: z ~ N(m, v) and x | z ~ N(az + b, s^2) declared
    event_relations: frozenset = frozenset()  # events.document_relations: disjoint or nested events spoken of
    cross_entropy_losses: frozenset = frozenset()  # softmax_gradient.document_losses: losses defined as a cross-entropy
    change_of_variables_maps: tuple = ()  # change_of_variables.document_maps: x = f(z) stated in the document
    reparameterised: object = None  # reparameterised.Facts: standard-normal noises and the normal laws declared
    likelihoods: tuple = ()  # likelihood_optimum.document_likelihoods: likelihoods the prose calls one
    numbers: frozenset = frozenset()  # names the settings declare constants (numbers), runner.Declarations
    natural_logs: bool = False  # the settings say a bare log is natural: no base-2/10 reading is tried
    entropy_letters: tuple = ()  # (letter, line) declared as entropy (E(X)): conventions.document_entropy_letters
    lecture: object = None  # extract.Lecture: the text as read, a notebook's cells
    mixture: object = None  # mixture_em.Mixture: a mixture's responsibilities and their totals defined
    gan_game: object = None  # gan_optimum.document_game: a discriminator spoken of, the densities' roles
    in_force: object = None  # definitions.Definitions: every clause that may define a name, in reading order
    upper_indices: frozenset = frozenset()  # names the document writes with upper indices (scope.upper_index_names)
    described_functions: frozenset = frozenset()  # names the prose describes (functions.document_described)
    shapes: tuple = ()  # (name, convex|concave, line) stated in the prose (scope.function_shapes)
    restricted: tuple = ()  # (name, line): variables the prose restricts (scope.restricted_variables)
    priors: frozenset = frozenset()  # names the prose calls a prior (scope.prior_names): the model's marginal
    declared: list = field(default_factory=list)  # the course's and the document's declarations (declarations.py)
    scope: list = field(default_factory=list)  # the scope table: notation.Entry per name (notation.build)


@dataclass
class Outcome:
    """One statement's checks, before it becomes a record."""

    statement: Statement
    text: str
    steps: list[StepResult]
    note: str = ""


_LOG_BASE_2 = re.compile(r"(?:\\log\s*\(\.\)|\\log)\s*(?:always\s+)?(?:refers to|means|denotes|is)\s*(?:the\s+)?\\log_\{?2|"
                         r"logarithms?\s+(?:are\s+|is\s+)?(?:in\s+|to\s+)?base[- ]2|base[- ]2\s+logarithms?", re.IGNORECASE)


_ACCENTED = re.compile(r"\\(bar|overline|hat|widehat|tilde|widetilde)\s*\{?\s*(\\[A-Za-z]+|[A-Za-z])")


_SQUARE_EXPECTATION = re.compile(r"(?<![A-Za-z\\])E\s*\[|\\mathbb\s*\{?\s*E\s*\}?\s*\[")
SQUARE_EXPECTATION = ("expectation", "[")


def document_notations(text: str) -> frozenset:
    """The accented names a document writes: {(r"\\bar", r"\\alpha"), ...}; and
    :data:`SQUARE_EXPECTATION` when it writes expectations with square brackets (``E[X]``): then
    its ``E(X)`` is an expectation too."""
    canonical = {"overline": "bar", "widehat": "hat", "widetilde": "tilde"}
    found = {("\\" + canonical.get(a, a), b) for a, b in _ACCENTED.findall(text)}
    if _SQUARE_EXPECTATION.search(text):
        found.add(SQUARE_EXPECTATION)
    return frozenset(found)


def document_conventions(text: str, names: DocumentNames) -> tuple[int | None, list]:
    """The lecture's log base (when it says so) and the conventional definitions it relies on
    (DDPM's beta_t = 1 - alpha_t and bar-alpha_t = alpha_t bar-alpha_{t-1} when it writes
    \\bar\\alpha)."""
    log_base = 2 if _LOG_BASE_2.search(text) else None
    conventions = []
    if re.search(r"\\bar\s*\{?\s*\\alpha|\\overline\s*\{?\s*\\alpha", text):
        alpha_t = names.symbol(r"\alpha_{t}")
        beta_t = names.symbol(r"\beta_{t}")
        bar_t = names.symbol(r"\bar{\alpha}_{t}")
        bar_prev = names.symbol(r"\bar{\alpha}_{t-1}")
        conventions = [(beta_t, 1 - alpha_t, r"\beta_t = 1 - \alpha_t"),
                       (bar_t, alpha_t * bar_prev, r"\bar\alpha_t = \alpha_t \bar\alpha_{t-1}")]
    return log_base, conventions


def _interval(relation: str, value) -> tuple | None:
    from fractions import Fraction

    try:
        v = Fraction(int(value.p), int(value.q))
    except Exception:
        return None
    if relation in ("<", "≤"):
        return (Fraction(-1), v) if v <= 0 else (Fraction(1, 20) if v > Fraction(1, 20) else v / 20, v)
    if relation in (">", "≥"):
        return (v, v + 1) if v >= 0 else (v, Fraction(19, 20))
    return None


def _nearby_definitions(statement: Statement, state: DocumentState) -> dict:
    """Name -> distribution for the names defined in the few lines before the statement."""
    from derivspec.scan.reader import read_document

    found = {}
    for line, name, rhs in state.definitions:
        if 0 <= statement.lines[0] - line <= state.window and line < statement.lines[0]:
            try:
                symbol = read_document(name, state.names).expr
                value = read_document(rhs, state.names).expr
            except Exception:
                continue
            if isinstance(symbol, sympy.Symbol):
                found[symbol] = value
    return found


def _normal_laws(statement: Statement, state: DocumentState) -> tuple:
    """(density, mean, variance, written as a variance) for the normal laws of densities the document
    declares before the statement (``q_\\sigma(\\tilde x | x) = \\mathcal N(\\tilde x; x, \\sigma^2 I)``)."""
    if state.reparameterised is None:
        return ()
    from derivspec.scan.reparameterised import _as_variance

    return tuple((law.density, law.mean, *_as_variance(law.spread)) for law in state.reparameterised.laws
                 if law.density and 0 < statement.lines[0] - law.line <= 300)


def _nearby_samples(statement: Statement, state: DocumentState) -> dict:
    """Variable -> (family, mean, variance) for ``X \\sim Dist(...)`` in the few lines up to the statement."""
    if not state.samples:
        return {}
    from derivspec.scan.moments import nearby_samples

    return nearby_samples(statement.lines[0], state.samples, state.names, state.window)


def check_statement(statement: Statement, state: DocumentState, previous: str = "") -> Outcome:
    """Every relation of ``statement`` checked (``previous``: the last side of the block it continues)."""
    text = clean(statement)
    try:
        with symbolic.time_limit(state.seconds), scope.densities(state.densities):
            return _check(statement, text, state, previous)
    except symbolic.SymPyTimeout:
        return Outcome(statement, text, [StepResult("", text, "", "unchecked", "chain",
                                                    f"the statement took over its time limit of {state.seconds:g} s")])
    except RecursionError:
        return Outcome(statement, text, [StepResult("", text, "", "unchecked", "chain", "nested too deeply")])


def _check(statement: Statement, text: str, state: DocumentState, previous: str) -> Outcome:
    clauses = split_clauses(text)
    relational = [c for c in clauses if c.relations]
    unjudged = classify.classify_statement(statement.lines, statement.before,
                                           any(len(c.relations) >= 2 for c in relational), state.algorithms)
    if unjudged is not None and unjudged.name != "assignment":  # a property assumed: classified, not judged
        return Outcome(statement, text, [StepResult(r, c.sides[k], c.sides[k + 1], "unchecked", "chain", unjudged.why,
                                                    category=unjudged.name)
                                         for c in relational for k, r in enumerate(c.relations)])
    outcome = _check_read_steps(statement, text, clauses, state, previous)
    if unjudged is not None:  # an algorithm line or a procedure step: judged only as a known result it uses
        outcome.steps = [s if s.kind == "known" else dataclasses.replace(s, verdict="unchecked", reason=unjudged.why,
                                                                          category=unjudged.name)
                         for s in outcome.steps]
    return outcome


def _check_read_steps(statement: Statement, text: str, clauses, state: DocumentState, previous: str) -> Outcome:
    typed = state.types.typed(text, statement.lines[0]) if state.types is not None else set()
    if typed:
        sides = [side for c in clauses if c.relations for side in c.sides if side.strip()]
        if sides and all(readable(side, state.types) for side in sides):
            return _check_typed(statement, text, clauses, state)
        outcome = _check_untyped(statement, text, clauses, state, previous)
        if any(_in_matrix_algebra(side, typed) for side in sides):
            return _as_one_by_one(outcome, typed)
        return outcome
    outcome = _check_untyped(statement, text, clauses, state, previous)
    if not any(step.verdict in ("proved", "disagrees") for step in outcome.steps):
        return outcome
    later = state.types.typed(text) if state.types is not None else set()  # declared further down
    if later and _multiplied(text, later):  # a proof with numbers proves nothing of them, a difference flags nothing
        sides = [side for c in clauses if c.relations for side in c.sides if side.strip()]
        if sides and all(readable(side, state.types) for side in sides):  # as matrices, on instances: no flag
            typed = _check_typed(statement, text, clauses, state)
            return Outcome(typed.statement, typed.text, [
                dataclasses.replace(step, verdict="unchecked", reason=f"{step.reason} -- but the names are declared "
                                    "matrices or vectors only below the statement: not flagged")
                if step.verdict == "disagrees" else step for step in typed.steps], typed.note)
        return _as_one_by_one(outcome, later)
    return _unless_matrices(outcome, may_be_matrices(text))


def _multiplied(text: str, names: set[str]) -> bool:
    """A name of ``names`` in matrix algebra outside the arguments of a function or density
    (``q(z | u)`` says nothing of z's products): multiplied, inverted, transposed, under det/tr."""
    plain = text
    for _ in range(6):  # applications f(...), q_\phi(...), innermost first
        stripped = re.sub(r"(?<=[A-Za-z}_'])\s*(?:\\left)?\(([^()]*)\)", " ", plain)
        if stripped == plain:
            break
        plain = stripped
    if not set(re.findall(r"[A-Za-z]", re.sub(r"\\[A-Za-z]+", " ", plain))) & names:
        return False
    return _in_matrix_algebra(plain, names) or bool(re.search(r"\)\s*\(", plain))


def _judged_as_numbers(step: StepResult) -> bool:
    """Proved or flagged by the reading with numbers (a known result's own check reads its matrices itself)."""
    return step.verdict in ("proved", "disagrees") and not step.on_matrices and step.kind == "chain" and not step.claim


def _unless_matrices(outcome: Outcome, names: set[str]) -> Outcome:
    """A statement proved (or found different) with ``names`` read as numbers, although the
    document leaves open whether they are matrices: compared again with them as matrices on exact
    instances. If the matrix reading differs, or cannot be read, the numeric proof is no proof of
    the statement and the numeric difference no flag (the 1x1 reading, :func:`_as_one_by_one`)."""
    from derivspec.scan.matrices import DocumentTypes, compare_on_instances

    if not names:
        return outcome
    types = DocumentTypes(frozenset(names))
    for step in outcome.steps:
        if _judged_as_numbers(step):
            found = compare_on_instances(step.left, step.right, types)
            if (found.verdict != "holds") if step.verdict == "proved" else (found.verdict == "holds"):
                # a proof needs the matrix reading to agree; a difference as numbers is the 1x1 case, a
                # counterexample unless the matrix reading holds (then the reading as numbers is not what is meant)
                return _as_numbers_only(outcome, names, found)
    return outcome


def _as_numbers_only(outcome: Outcome, names: set[str], as_matrices) -> Outcome:
    """Every step judged with untyped ``names`` read as numbers, left unchecked: the reason says
    what the matrix reading gave (``as_matrices``, a :class:`~derivspec.scan.matrices.InstanceVerdict`)."""
    listed = ", ".join(sorted(names))
    if as_matrices.verdict == "disagrees":
        matrices = f"as matrices it fails ({as_matrices.evidence})"
    elif as_matrices.verdict == "holds":
        matrices = "as matrices it holds on instances"
    else:
        matrices = "not read as matrices"
    steps = []
    for step in outcome.steps:
        if _judged_as_numbers(step):
            judged = "holds" if step.verdict == "proved" else "differs"
            step = dataclasses.replace(step, verdict="unchecked", reason=(
                f"{judged} if {listed} are numbers; the document does not say whether {listed} are matrices "
                f"(inverted, transposed or under det/tr), and {matrices}"))
        steps.append(step)
    return Outcome(outcome.statement, outcome.text, steps, outcome.note)


def _as_one_by_one(outcome: Outcome, typed: set[str]) -> Outcome:
    """A statement about typed vectors and matrices that the matrix reader cannot read, read with
    scalars (the 1x1 case): a scalar proof proves nothing for larger matrices, and a scalar
    reading never flags -- the same rule as for vectors and matrices the reader marks itself
    (:data:`derivspec.scan.steps.SCALAR_READING_DIFFERS`)."""
    names = ", ".join(sorted(typed))
    steps = []
    for step in outcome.steps:
        if step.on_matrices:  # read as matrices already (the normal equations): kept
            pass
        elif step.verdict == "proved":
            step = dataclasses.replace(step, verdict="unchecked",
                                       reason=f"holds for 1x1 matrices (vectors and matrices {names} read as scalars); "
                                              "not proved for matrices")
        elif step.verdict == "disagrees":
            step = dataclasses.replace(step, verdict="unchecked", reason=step_checks.SCALAR_READING_DIFFERS)
        steps.append(step)
    return Outcome(outcome.statement, outcome.text, steps, outcome.note)


def _check_untyped(statement: Statement, text: str, clauses, state: DocumentState, previous: str) -> Outcome:
    bare = bare_names(text)
    bindings: dict = {}
    constraints: dict = {}
    results: list[StepResult] = []
    relational = [c for c in clauses if c.relations]
    paragraph = (re.split(r"\n\s*\n", statement.before)[-1][-600:] + " "
                 + re.split(r"\n\s*\n", statement.after)[0][:300]) \
        if state.reparameterised is not None else ""  # read only where a law may be said in words (vae_kl.py)
    for index, clause in enumerate(clauses):
        if not clause.relations:
            continue
        sides_text = list(clause.sides)
        if index == 0 or clause is relational[0]:
            if not sides_text[0].strip() or re.fullmatch(r"\\(?:c|l)?dots|\\ldots|\.\.\.", sides_text[0].strip()):
                if previous:
                    sides_text[0] = previous
        chain = len(clause.relations) >= 2
        conditional = classify.condition_of_clause(clause.before, clause.after, chain, statement.before)
        context = Context(state.names, bare, state.log_base, chain, conditional, state.conventions, dict(bindings),
                          dict(constraints), seconds=min(3.0, state.seconds / 2),
                          prose=(statement.before[-400:] + " " + statement.after[:300]), after=statement.after[:300],
                          lead_in=classify.lead_in(statement.before),
                          statement=" , ".join(" = ".join(c.sides) for c in clauses if c is not clause),
                          definitions=_nearby_definitions(statement, state), notations=state.notations,
                          samples=_nearby_samples(statement, state),
                          numbers=step_checks.numbers_in_prose(statement.before[-300:]) | state.numbers,
                          families=state.families, natural_logs=state.natural_logs,
                          defined_functions=state.defined_functions, event_relations=state.event_relations,
                          cross_entropy_losses=state.cross_entropy_losses,
                          change_of_variables_maps=state.change_of_variables_maps,
                          likelihoods=tuple(lk for lk in state.likelihoods
                                            if 0 < statement.lines[0] - lk.line <= 150),
                          normal_laws=_normal_laws(statement, state),
                          normal_model=state.normal_model, mixture=state.mixture, diffusion=state.diffusion,
                          gan_game=state.gan_game, beta_model=state.beta_model,
                          mc_estimators=state.mc_estimators,
                          nearby_equations=tuple(f"{name} = {value}" for line, name, value in state.equations
                                                 if abs(line - statement.lines[0]) <= NEARBY_LINES),
                          entropy_letters=tuple((letter, line) for letter, line in state.entropy_letters
                                                if line <= statement.lines[0]),
                          in_force=_in_force(statement, state, relational.index(clause)),
                          upper_indices=state.upper_indices, described_functions=state.described_functions,
                          laws=tuple(law for law in state.laws if law[0] <= statement.lines[0]),
                          labels={name: kind for line, name, kind in state.labels if line <= statement.lines[0]},
                          shapes=tuple((name, shape) for name, shape, line in state.shapes if line <= statement.lines[0]),
                          restricted=frozenset(name for name, line in state.restricted if line <= statement.lines[0]),
                          line=statement.lines[0], text=text, normal_facts=state.reparameterised,
                          paragraph=paragraph)
        written = list(sides_text)
        sides_text, prior_note = scope.with_priors(sides_text, state.priors) if state.priors else (sides_text, "")
        sides = [read_side(s, context) for s in sides_text]
        for k, relation in enumerate(clause.relations):
            left, right = sides[k], sides[k + 1]
            if not left.text.strip() or not right.text.strip():
                continue
            result = check_step(left, relation, right, context, first=(k == 0))
            if relation in (":=", "≡") and left.readable and right.readable and \
                    not step_checks.defines_new_name(left, relation, context):  # σ(z) := 1/(1 + e^{-z}), P(X = k) ≡ …:
                # no new name, so a claim about a known quantity -- proved as one; the author's own meaning otherwise
                as_equation = _with_rows(check_step(left, "=", right, context, first=(k == 0)), state, left, right,
                                         context, written[k:k + 2])
                if as_equation.verdict == "proved":
                    results.append(dataclasses.replace(as_equation, relation=relation))
                    continue
            if prior_note:
                result.left, result.right = written[k], written[k + 1]
                if result.verdict in ("proved", "disagrees"):
                    result.reason = f"{result.reason} {prior_note}"
            if result.on_atoms:  # decided on the atoms of the events: not a function or name the document defines
                results.append(result)
                continue
            if relation in ("=", "≈", "∝", "≤", "≥", "∼"):
                result = _with_rows(result, state, left, right, context, written[k:k + 2], relation)
            if relation == "=" and result.label and k == 0:
                normalised = check_density(left, right, context)
                if normalised is not None:
                    result = normalised
                if state.linear_gaussian is not None and result.verdict == "unchecked":
                    result = _with_linear_gaussian(left, right, context, state.linear_gaussian) or result
            if k == 0:  # a definition of a standard quantity: compared with the standard definition
                result = conventions.judge(left, relation, right, context, statement.before, statement.after,
                                           result) or result
            same = context.in_force.restated(left.primary.expr, right.primary.expr, context, (left.text, right.text)) \
                if context.in_force is not None and relation in DEFINING and step_checks.is_label(left) \
                and right.readable and k == 0 else None
            if same is not None and result.verdict != "disagrees" and (  # decided before any proof with the
                    evidence_level(result.verdict, result.reason) == "unchecked"  # definitions:
                    or "the document's definitions" in result.reason):
                own_example = definitions.defined_for_what_follows(left.text, context.text)  # f = … → ∂f/∂x = …
                results.append(dataclasses.replace(  # a definition written again is true by definition, never proved
                    result, verdict="unchecked", label=own_example, category="definition" if own_example else
                    classify.judged_class(relation, result.kind),
                    reason=f"restates the document's definition of {left.text.strip()} on line {same.line}: a "
                           "definition, not a proof"))
                continue
            if result.verdict == "disagrees" or (result.verdict == "unchecked" and "different symbols" in result.reason):
                result = _with_indexed_definitions(result, left, relation, right, context)
            if result.verdict == "disagrees" and state.equations and not result.with_equations:
                result = _with_document_equations(result, left, relation, right, context, statement, state, k == 0)
            elif result.verdict == "unchecked" and state.equations and (
                    "different symbols" in result.reason or "which the claim does not have" in result.reason
                    or "that do not cancel" in result.reason or "proportionality not shown" in result.reason):
                again = _with_document_equations(result, left, relation, right, context, statement, state, k == 0)
                result = again if again.verdict == "proved" else result  # a proof with them; never a flag from them alone
            if result.verdict == "unchecked" and ("that do not cancel" in result.reason
                                                  or "proportionality not shown" in result.reason):
                result = _with_values_set_before(result, left, relation, right, context, k == 0)
            if result.verdict == "unchecked" and context.entropy_letters:
                result = _with_entropy_letters(result, left, relation, right, context, state, k == 0)
            settled = settle_definition(result, left, context)
            if settled.category != result.category and not settled.evidence:  # no new name after all: the claim it makes, judged
                judged = _with_indexed_definitions(settled, left, relation, right, context)  # with the definitions above
                restated = judged.verdict == "proved" and judged.reason.startswith("proved (the sides are identical)") \
                    and not definitions.instance_of(left.primary.expr, context)  # w_2 by running the update, h_1 the
                # definition at t = 1: derived
                if restated:  # the same once the definitions are unfolded
                    settled = dataclasses.replace(settled, reason=(
                        "restates the document's definition" + judged.reason.partition("[with the document's "
                                                                                       "definitions:")[2]
                        .rstrip("]") + ": a definition, not a proof"))
                else:
                    settled = judged
            elif settled.category == "definition" and relation == "=" and k == 0 and len(clause.sides) == 2:
                settled = _solving(settled, left, right, context)  # a new name that solves an equation just above
            results.append(settled)
        # assignments and conditions for the clauses that follow
        if len(clause.relations) == 1 and len(sides) == 2 and sides[0].readable and sides[1].readable:
            lhs, rhs = sides[0].primary.expr, sides[1].primary
            value = rhs.value()
            if isinstance(lhs, sympy.Symbol) and not lhs.name.startswith(("⟦", "⟨")) and not value.free_symbols:
                relation = clause.relations[0]
                if relation == "=":
                    bindings[lhs] = value
                elif relation in ("<", ">", "≤", "≥") and value.is_Rational:
                    interval = _interval(relation, value)
                    if interval:
                        constraints[lhs] = interval
    return Outcome(statement, text, results)


def _solving(result: StepResult, left, right, context: Context) -> StepResult:
    """A new name defined just below an equation it solves: proved by it (:func:`definitions.solved_equation`)."""
    def holds(a: str, b: str) -> StepResult:
        return check_step(read_side(a, context), "=", read_side(b, context), dataclasses.replace(
            context, chain=True, in_force=None), False)

    try:
        found = definitions.solved_equation(left.text, right.text, context.in_force, holds)
    except Exception:  # a side the substitution leaves unreadable: no proof from it
        return result
    if found is None:
        return result
    holding, (line, equation) = found
    return StepResult("=", left.text, right.text, holding.verdict, "chain", f"{holding.reason} [it solves the "
                      f"equation on line {line}, {equation}, put in for its unknown]", holding.evidence,
                      category=classify.judged_class("=", "chain"))


def _with_rows(result: StepResult, state, left, right, context, written, relation: str = "=") -> StepResult:
    """The step's result with the known results' (the recogniser's) verdict, where the general path flags nothing."""
    if state.recogniser is None or result.verdict == "disagrees":
        return result
    from derivspec.scan.known import with_general

    return with_general(result, state.recogniser.check(left, relation, right, context, tuple(written)))


def _with_indexed_definitions(result: StepResult, left, relation: str, right, context: Context) -> StepResult:
    """A step that differs as read (or names symbols the other side lacks), checked again with the names the
    document defines at every index above it, at any distance (:func:`definitions.with_names`): proved with
    them, it is proved; a flag stands only when it differs with them too."""

    def check(left_expr, right_expr) -> StepResult:
        return check_step(Side(left.text, DocumentReading(left_expr, left.primary.flags, left.primary.literals)),
                          relation, Side(right.text, DocumentReading(right_expr, right.primary.flags,
                                                                     right.primary.literals)),
                          definitions.without_scope(context), False)

    again, used = definitions.with_names(left, right, context, check)
    if again is None:
        return result
    if again.verdict == "proved":
        return StepResult(relation, left.text, right.text, "proved", again.kind,
                          f"{again.reason} [with the document's definitions: {used}]", again.evidence)
    instance = definitions.instance_of(left.primary.expr, context)
    if instance == "iterate":  # w_2 = …: what running the update gives
        return StepResult(relation, left.text, right.text, again.verdict, again.kind, f"{again.reason} [running the "
                          f"document's update: {used}]", again.evidence, correct=again.correct)
    if instance:  # h_2 = … where h_t = … stands: the definition at t = 2, or a new example in the same letters
        return StepResult(relation, left.text, right.text, "unchecked", again.kind, (
            f"differs from the document's definition at this index ({used}): a new example in the same letters or "
            "a slip; not flagged") if again.verdict == "disagrees" else again.reason, again.evidence)
    if result.verdict != "disagrees" or result.kind == "known":
        return result  # a known result's flag already reads the names as the claim defines them
    if again.verdict == "disagrees":
        return dataclasses.replace(result, reason=f"{result.reason} [also with the document's definitions: {used}]")
    return StepResult(relation, left.text, right.text, "unchecked", result.kind,
                      f"differs as read, but not decided with the document's definitions {used}: {again.reason}",
                      result.evidence)


def _one_unknown_equals_a_number(left: str, right: str, types) -> bool:
    r"""``\|v\| = 1``, ``v^\top v = 1``: one side a number, the other about one vector or matrix only -- an
    equation in one unknown (a unit vector, a normalisation), a condition on it, not an identity."""
    number = re.compile(r"^\s*-?\d+(?:\.\d+)?\s*$")
    for constant, other in ((left, right), (right, left)):
        if number.match(constant):
            pattern = lambda name: r"(?<![A-Za-z\\])" + re.escape(name) + r"(?![A-Za-z])"  # noqa: E731
            mentioned = [name for name in types.matrices | types.vectors if re.search(pattern(name), other)]
            if len(mentioned) != 1:
                return False
            rest = re.sub(r"\\[A-Za-z]+", " ", re.sub(pattern(mentioned[0]), " ", other))
            return set(re.findall(r"[A-Za-z]", rest)) <= {"T"}  # nothing else: v^T v, \|v\|_2
    return False


def _in_force(statement: Statement, state: DocumentState, clause: int):
    """The document's definitions in force at this clause (:mod:`derivspec.scan.definitions`), or None."""
    order = state.order.get((statement.lines, statement.text))
    if state.in_force is None or not state.in_force.entries or order is None:
        return None
    from derivspec.scan.definitions import InForce

    return InForce(state.in_force, (order, clause))


def _check_typed(statement: Statement, text: str, clauses, state: DocumentState) -> Outcome:
    """A statement about the document's vectors and matrices: each equation compared on exact
    random instances (:mod:`derivspec.scan.matrices`), never read as scalars. A counterexample is
    a flag unless the document states an assumption the instances do not model."""
    results: list[StepResult] = []
    condition_prose = classify.condition_prose(statement.before)
    for number, clause in enumerate(clauses):
        implication = bool(clause.before) or clause.after in ("⇒", "⇔", "⇐")  # prose or an implication around it
        for k, relation in enumerate(clause.relations):
            left, right = clause.sides[k], clause.sides[k + 1]
            if left.strip() and right.strip():
                results.append(_typed_step(left, relation, right, statement, state, condition_prose or implication,
                                           number))
    return Outcome(statement, text, results)


def _typed_step(left: str, relation: str, right: str, statement: Statement, state: DocumentState,
                conditional: bool, clause: int = 0) -> StepResult:
    """One relation between sides the matrix reader reads, compared on random rational instances
    (:mod:`derivspec.scan.matrices`); ``conditional``: prose or an implication around it."""
    from derivspec.scan import least_squares
    from derivspec.scan.matrices import compare_on_instances, lone_name

    if relation == "=" and (conditional or "0" in (left.strip(), right.strip())
                            or _one_unknown_equals_a_number(left, right, state.types)):
        return StepResult(relation, left, right, "unchecked", "chain",
                          "vectors and matrices: an equation being solved or a condition (set to zero, "
                          "'hence', 'if'), not an identity")
    if relation != "=":
        return StepResult(relation, left, right, "unchecked", "chain",
                          f"vectors and matrices: a '{relation}' between them is not compared")
    estimate = least_squares.check_texts(left, relation, right, f"{statement.before} {statement.after}")
    if estimate is not None:  # (X^T X)^{-1} X^T y: the normal equations (scan/least_squares.py)
        return estimate
    if lone_name(left, state.types):  # θ = X^{-1} Y just below X θ = Y: the value put in, on instances
        solved = _solving_on_instances(left, right, statement, state, clause)
        if solved is not None:
            return solved
    if lone_name(left, state.types) or lone_name(right, state.types):
        return StepResult(relation, left, right, "unchecked", "chain",
                          "vectors and matrices: one side is a single name -- a definition, a value or an "
                          "update, not an identity")
    found = compare_on_instances(left, right, state.types)
    if found.verdict == "disagrees" and state.types.assumptions:
        return StepResult(relation, left, right, "unchecked", "chain",
                          f"vectors and matrices: differ for general matrices, but the document assumes "
                          f"{', '.join(state.types.assumptions)}, which the instances do not model", found.evidence)
    if found.verdict == "disagrees":
        return StepResult(relation, left, right, "disagrees", "chain", found.reason, found.evidence)
    return StepResult(relation, left, right, "unchecked", "chain", found.reason)


def _solving_on_instances(left: str, right: str, statement: Statement, state: DocumentState,
                          clause: int) -> StepResult | None:
    """A vector or matrix name given a value just below an equation it solves (``X\\theta = Y`` above ``\\theta =
    X^{-1}Y``): the equation with the value put in, compared on random instances -- holding there, the value is
    shown to solve it (evidence, not a proof); otherwise None (a definition, never a flag)."""
    from derivspec.scan.matrices import compare_on_instances

    in_force = _in_force(statement, state, clause)
    if in_force is None:
        return None

    def holds(a: str, b: str) -> StepResult:
        found = compare_on_instances(a, b, state.types)
        return StepResult("=", a, b, "unchecked", "chain", found.reason if found.verdict == "holds" else
                          "vectors and matrices: not shown on instances")

    try:
        found = definitions.solved_equation(left, right, in_force, holds)
    except Exception:  # a side the substitution leaves unreadable: nothing from it
        return None
    if found is None:
        return None
    holding, (line, equation) = found
    return StepResult("=", left, right, "unchecked", "chain", f"{holding.reason} [it solves the equation on line "
                      f"{line}, {equation}, put in for its unknown]", holding.evidence)


def _in_matrix_algebra(side: str, names: set[str]) -> bool:
    """A typed name in a product with another, transposed, inverted or under tr/det: where a
    scalar reading would be wrong."""
    plain = re.sub(r"\\(?:mathbf|boldsymbol|bm|vec)\s*\{?\s*([A-Za-z])\s*\}?", r"\1", side)
    letters = "".join(sorted(names))
    return bool(re.search(rf"[{letters}]\s*(?:\^\s*\{{?\s*(?:-1|\\top|T)|\s*[{letters}])", plain)
                or re.search(rf"(?:\\det|tr\}}?)\s*\(?\s*[{letters}]", plain))


# -- names the document sets equal to something (x_i = p_i, a = 1 - q_j), before or after ------------

_SET_NAME = re.compile(r"^\s*((?:\\(?:tilde|widetilde|bar|overline|hat|widehat)\s*\{?\s*(?:\\[A-Za-z]+|[A-Za-z])\s*\}?|\\[A-Za-z]+|[A-Za-z])(?:\^\s*\{?\s*\*\s*\}?)?(?:_\{[^{}]*\}|_[A-Za-z0-9])?)\s*$")
_PROBABILITY_OF_EVENT = re.compile(r"^(?:P|\\Pr|\\mathbb\s*\{\s*P\s*\}|\\mathrm\s*\{\s*P\s*\})\s*(?:\\left\s*)?\(.+\)$")
EQUATION_WINDOW = 40  # lines either side: "recall x_i = p_i" may follow the formula it explains


def relational_clauses(relational: list[Statement]) -> list[tuple[Statement, list]]:
    """Each statement with its clauses that have a relation, split once for the document-wide
    passes (None for a statement the splitter cannot split)."""
    out = []
    for s in relational:
        try:
            out.append((s, [c for c in split_clauses(clean(s)) if c.relations]))
        except Exception:
            out.append((s, None))
    return out


def document_equations(split: list[tuple[Statement, list]]) -> list:
    """(line, name, value) for every definition the document states: ``name := value``;
    ``name = value`` right after "recall", "where", "with", "let", "define", "denote"; or a display
    ``name = value`` whose name no earlier statement used (a fresh name) -- a name alone on the left
    that the right side does not use, a value with a symbol in it."""
    found, earlier, fresh_tries = [], [], 0
    for s, clauses in split:
        if clauses is None:
            continue
        cleaned = clean(s)
        introduced = bool(_DEFINING_PROSE.search(s.before[-60:])) if s.before else False
        alone = s.display and len(clauses) == 1
        for clause in clauses:
            single = clause.relations == ["="]
            if single and _PROBABILITY_OF_EVENT.match(clause.sides[0].strip()) and _SET_NAME.match(clause.sides[1]):
                # P(A) = p names the probability: p stands for P(A) below (the event's rules then apply to it) --
                # in the statements near it (EQUATION_WINDOW), whatever p meant far above (a coin's p)
                found.append((s.lines[0], clause.sides[1].strip(), clause.sides[0].strip()))
                continue
            if clause.relations == [":="] or (single and (introduced or alone)):
                lhs, rhs = clause.sides[0].strip(), clause.sides[1].strip()
                if not (_SET_NAME.match(lhs) and re.search(r"[A-Za-z]", rhs) and not re.search(_name_pattern(lhs), rhs)):
                    continue
                if clause.relations == [":="] or introduced:
                    found.append((s.lines[0], lhs, rhs))
                elif fresh_tries < FRESH_NAME_TRIES:  # a display "name = value" whose name nothing before it used
                    fresh_tries += 1
                    if not any(re.search(_name_pattern(lhs), text) for text in earlier):
                        found.append((s.lines[0], lhs, rhs))
        earlier.append(cleaned)
    return found


FRESH_NAME_TRIES = 300  # displays per document tried as definitions of a fresh name (each search reads what came before)


# the prose that introduces a definition just before it: "(recall x_i = p_i)", "with a = 1 - q_j", "where ..."
_DEFINING_PROSE = re.compile(r"\b(?:recall|where|with|let|define[sd]?|denote[sd]?|writing)\W*$", re.IGNORECASE)


def _name_pattern(name: str) -> str:
    return r"(?<![\\A-Za-z])" + re.escape(name).replace(r"\ ", r"\s*") + r"(?![A-Za-z0-9_{])"


_VALUE_SET = re.compile(r"^\s*([^=<>]+?)\s*=\s*(-?\d+(?:\.\d+)?)\s*$")


def _with_values_set_before(result: StepResult, left, relation: str, right, context: Context, first: bool) -> StepResult:
    r"""A step not decided, checked again with the values the sentence leading into it gives names ("keeping in mind
    that $\mu_0 = 0$, we have", "with $\sigma = 1$"): proved with them, it is proved and says so; otherwise it stays
    as it was -- a value of the text may make a step true, never false."""
    if re.search(r"\bexamples?\b|\binstance\b|\be\.g\.", context.lead_in or "", re.IGNORECASE):
        return result  # "for example, with n = 3": one case shown, not the value the derivation keeps
    values = [m.groups() for math in re.findall(r"\$([^$]+)\$", context.lead_in or "")
              if (m := _VALUE_SET.match(math))]
    values = [(name, value) for name, value in values
              if re.search(_name_pattern(name), left.text) or re.search(_name_pattern(name), right.text)]
    if not values:
        return result

    def substitute(text: str) -> str:
        return functools.reduce(lambda t, v: re.sub(_name_pattern(v[0]), lambda _: "(" + v[1] + ")", t), values, text)
    new_left, new_right = read_side(substitute(left.text), context), read_side(substitute(right.text), context)
    if not new_left.readable or not new_right.readable:
        return result
    again = check_step(new_left, relation, new_right, dataclasses.replace(context, chain=True), first)
    if again.verdict != "proved":
        return result
    used = ", ".join(f"{name} = {value}" for name, value in values)
    return dataclasses.replace(again, left=left.text, right=right.text,
                               reason=f"{again.reason} (with {used}, as the sentence before sets it)")


def _with_entropy_letters(result: StepResult, left, relation: str, right, context: Context, state: DocumentState,
                          first: bool) -> StepResult:
    """A step not decided, checked again with the letters the document declares as entropy read as H (``I(X; X) =
    E(X)`` after "the entropy E(X) = …"): proved so, it is proved and says the reading; otherwise as it was."""
    from derivspec.scan.conventions import _entropy_letter

    read = [_entropy_letter(side.text, context.entropy_letters) for side in (left, right)]
    if not any(read):
        return result
    new_left, new_right = (read_side(r.right if r else side.text, context) for r, side in zip(read, (left, right)))
    if not new_left.readable or not new_right.readable:
        return result
    again = check_step(new_left, relation, new_right, dataclasses.replace(context, chain=True), first)
    if again.verdict != "proved" and state.recogniser is not None:  # I(X; X) = H(X): a known result
        again = state.recogniser.check(new_left, relation, new_right, context) or again
    if again.verdict != "proved":
        return result
    how = "; ".join(r.note for r in read if r)
    return dataclasses.replace(again, left=left.text, right=right.text, reason=f"{again.reason} ({how})")


def _with_document_equations(result: StepResult, left, relation: str, right, context: Context, statement: Statement,
                             state: DocumentState, first: bool) -> StepResult:
    """A step that differs as read, checked again with the names the document sets equal to
    something near it (``(recall x_i = p_i)``, "expand a"): proved with them, it is proved and says
    which it used; decided otherwise or not at all, it is no flag -- a counterexample must hold
    under the definitions in force."""
    nearby = [(line, name, value) for line, name, value in state.equations
              if abs(line - statement.lines[0]) <= EQUATION_WINDOW and (line, name, value) != (statement.lines[0], left.text.strip(), right.text.strip())
              and (re.search(_name_pattern(name), left.text) or re.search(_name_pattern(name), right.text))]
    if not nearby:
        return result
    def substitute(text: str) -> str:  # until nothing changes: a definition may use a name defined earlier
        for _ in range(len(nearby) + 1):
            replaced = functools.reduce(lambda t, d: re.sub(_name_pattern(d[1]), lambda _: "(" + d[2] + ")", t),
                                        reversed(nearby), text)
            if replaced == text or len(replaced) > 20 * (len(left.text) + len(right.text)) + 2000:
                break  # settled, or definitions that refer to each other
            text = replaced
        return text
    new_left, new_right = read_side(substitute(left.text), context), read_side(substitute(right.text), context)
    if not new_left.readable or not new_right.readable:
        return result
    again = check_step(new_left, relation, new_right, dataclasses.replace(context, chain=True), first)
    used = "; ".join(f"{name} = {value} (line {line})" for line, name, value in nearby)
    if again.verdict != "proved" and result.kind == "known" and state.recogniser is not None:
        # recognised, but written with a name the document defines (μ̃_t = (…) β̃_t): the claim again, with it
        known = state.recogniser.check(left, relation, new_right, context)
        if known is not None and known.verdict == "proved":
            return StepResult(relation, left.text, right.text, "proved", "known",
                              f"{known.reason} (with the document's {used})", claim=known.claim)
    if again.verdict == "proved" and new_left.primary.expr == new_right.primary.expr and any(
            name in (left.text.strip(), right.text.strip()) for _, name, _ in nearby):
        return StepResult(relation, left.text, right.text, "unchecked", result.kind,
                          f"restates the document's definition {used}: a definition, not a proof", category="definition")
    if again.verdict == "disagrees":
        again.reason = f"{again.reason} [also with the document's {used}]"
        again.left, again.right = left.text, right.text
        return again
    if (again.verdict != "proved" and result.verdict == "disagrees" and result.kind == "known" and result.claim
            and claim_readings.agree(result.claim, nearby, context, tuple(
                (line, name, value) for line, name, value in state.equations
                if abs(line - statement.lines[0]) <= EQUATION_WINDOW and line != statement.lines[0]))):
        # the document's definitions are the meaning the claim already reads its names with: the flag stands
        result.reason = f"{result.reason} [the document's {used} is the claim's own meaning of those names]"
        return result
    verdict = "proved" if again.verdict == "proved" else "unchecked"
    return StepResult(relation, left.text, right.text, verdict, result.kind,
                      f"{'proved' if verdict == 'proved' else 'differs as read, but not decided'} with the document's {used}"
                      + ("" if verdict == "proved" else f": {again.reason}"), result.evidence if verdict != "proved" else "")


# -- the linear-Gaussian model the document declares (derivspec/scan/linear_gaussian.py) ----------

def _with_linear_gaussian(left, right, context: Context, model) -> StepResult | None:
    """``p(x) = N(x; μ, σ²)`` or ``p(z|x) = N(z; …)`` compared with the marginal or the posterior of the
    model: proved when both parameters agree (N's second argument a variance); flagged only when they
    differ with it read as a variance and as a standard deviation; else None."""
    claim = linear_gaussian.statement(left.text, right.text)
    if claim is None:
        return None

    def read(text: str) -> sympy.Expr:
        side = read_side(text, context)
        if not side.readable or "matrix" in side.primary.flags:
            raise ValueError(text)
        return side.primary.expr

    try:
        mean, spread = read(claim.mean), read(claim.spread)
        readings = {variance: linear_gaussian.implied(model, read, variance) for variance in (True, False)}
    except Exception:
        return None
    key = (claim.variable, claim.given)
    if any(r is None or key not in r for r in readings.values()):
        return None
    declared = (f"{model.latent.variable} ~ N({model.latent.mean}, {model.latent.spread}), "
                f"{model.observed.variable} | {model.observed.given} ~ N({model.observed.mean}, {model.observed.spread})")
    what = "marginal" if claim.given is None else "posterior"

    def result(verdict, reason, evidence=""):
        return StepResult("=", left.text, right.text, verdict, "known", reason, evidence)

    outcomes = {}
    for variance, found in readings.items():
        stated = spread if variance else spread ** 2
        differences = [algebra.positive_world(sympy.sympify(d))[0] for d in (mean - found[key][0], stated - found[key][1])]
        if all(algebra.prove_zero(d, context.seconds) is not None for d in differences):
            outcomes[variance] = "proved"
            continue
        points = algebra.box_points(set().union(*(d.free_symbols for d in differences)), seed=5)
        values = [(p, [algebra.evaluate(d, p) for d in differences]) for p in points]
        confirmed = [(p, v) for p, v in values if all(x is not None for x in v)
                     and any(abs(x) > symbolic.DIFFERENCE_THRESHOLD for x in v)]
        outcomes[variance] = ("differs", confirmed[0], found[key]) if len(confirmed) == len(points) else "undecided"
    if outcomes[True] == "proved":
        return result("proved", f"proved: the {what} of the linear-Gaussian model the document declares ({declared})")
    if outcomes[False] == "proved":
        return result("unchecked", f"the {what} of the declared model ({declared}) if N's second argument is a "
                      "standard deviation; not as a variance")
    if all(isinstance(o, tuple) for o in outcomes.values()):
        _, (point, _), (mean_, variance_) = outcomes[True]
        shown = algebra.point_text(point)
        return result("disagrees", f"the {what} of the declared model ({declared}) is N({sympy.sstr(sympy.simplify(mean_))}, "
                      f"{sympy.sstr(sympy.simplify(variance_))}) (N's second argument a variance; it differs also read as a "
                      "standard deviation)", f"at {shown}: the stated and the implied parameters differ")
    return None


# --- displays that go on from the one above (the runner, and the rules that read a continued display) ---


def last_side(text: str) -> str:
    """The last side of the last clause with a relation ("" when none)."""
    try:
        clauses = [c for c in split_clauses(text) if c.relations]
    except Exception:
        return ""
    return clauses[-1].sides[-1] if clauses else ""


def starts_with_relation(text: str) -> bool:
    """``= …``, ``\\le …``, ``\\approx …``: a display that goes on from the one above (``\\left(`` is no ``\\le``)."""
    return bool(re.match(r"^\s*(?:=|\\(?:approx|leq?|geq?|propto)(?![A-Za-z])|\\(?:c|l)?dots\s*=)", text))


def continuations(relational: list) -> tuple[list[str], list]:
    """Per relational statement: the last side of the display it continues ("" when none), and that display's
    index (None when none): a display that starts with a relation continues the one just above it."""
    previous: list[str] = []
    continuing: list = []
    last_display: tuple[int, str, int] | None = None
    for index, s in enumerate(relational):
        cleaned = clean(s)
        prev, continues = "", None
        if s.display and starts_with_relation(cleaned) and last_display and s.lines[0] - last_display[0] <= 6:
            prev, continues = last_display[1], last_display[2]
        previous.append(prev)
        continuing.append(continues)
        if s.display:
            last_display = (s.lines[1], last_side(cleaned), index)
    return previous, continuing
