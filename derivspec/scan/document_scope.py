r"""The one scope of ``scan``, which the scan rules read: one pass over the whole document in reading order
(DESIGN.md, "Scan": scope).

Every relational statement is split into clauses (:mod:`derivspec.scan.clauses`) and each side read into a
typed tree (:mod:`derivspec.scan.typed_reading`) once. The pass then records, for any name whatever its
letter:

* **definitions in force** from the line they are stated to the end: a new name (or a function of names,
  ``f(x) = …``, or an indexed name, ``\alpha_t = 1 - \beta_t``, which holds at every index) set equal to an
  expression it does not contain. A definition by a product or a sum (``\bar\alpha_t = \prod_{i \le t}
  \alpha_i``) carries the recursion it implies: the instance checker gives the index integer values, so the
  product is multiplied out and ``\bar\alpha_t = \alpha_t \bar\alpha_{t-1}`` holds on every instance;
* **roles by use**: a name that indexes another, or bounds a sum or product, is an integer;
* **conditions in the prose**: the sentence leading into a display that sets a special case ("when
  $\theta = 0$", "When $|x| < 1$, this lets us write:") or a constraint that defines a set ("the set of joint
  distributions whose marginals …", "subject to", "such that"): such a display is a condition or a special
  case, never an identity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from derivspec.core.errors import FormulaError
from derivspec.scan import classify, tree
from derivspec.scan.clauses import split_clauses
from derivspec.scan.extract import Statement
from derivspec.scan.letters import document_letters, identity_elements
from derivspec.scan.reader import (DocumentNames, applied_names, argument_names, bare_names, iterated_names,
                                   operator_names, read_document)
from derivspec.scan.statements import clean
from derivspec.scan.typed_reading import typed, written_densities

DEFINING = ("=", ":=", "≡", "=:", "≜")
# a special case set up in the sentence before the display: a conditional word, then a relation in inline math
_SPECIAL_CASE = re.compile(r"\b(?:when|whenever|if|suppose|assuming|assume|provided|in the (?:special )?case)\b[^.:;]*?"
                           r"\$([^$]*(?:=|<|>|\\le|\\ge|\\ne|\\in|\\to)[^$]*)\$", re.IGNORECASE)
_INLINE_RELATION = re.compile(r"\$+([^$]*(?:=|<|>|\\le|\\ge|\\ne|\\in|\\to)[^$]*)\$+")
# prose that makes the display a constraint defining a set, or a property assumed (classify's cues, plus a set's)
# the space a declaration puts a name in: R^{n x m}, R^d (vectors and matrices), not R or R_+
_SPACE_OF_ARRAYS = re.compile(r"\\(?:mathbb|mathbf|Bbb)\s*\{?\s*R\s*\}?\s*\^")
_FUNCTION_SPACE = re.compile(r"\\(?:mapsto|to|rightarrow|longrightarrow)(?![A-Za-z])")
# a document whose events are not any events: disjoint, nested or a partition (independence, a Markov or
# graphical model, exchangeability: the judge's i.i.d. laws are laws of every such model)
_EVENT_STRUCTURE = re.compile(r"\b(?:disjoint|mutually exclusive|partition\w*|exhaustive|subsets?)\b", re.IGNORECASE)
_ENTROPY_E = re.compile(r"entrop\w*[^.$]{0,60}\$\s*E\s*\(|\$\s*E\s*\([^$]{1,20}\)\s*\$[^.$]{0,40}\bentrop", re.IGNORECASE)
# prose that names a law: "$p_\theta$ is the density of $x$", "let $q(z)$ be a distribution", "the density $p$"
_LAW_WORDS = r"(?:probability\s+)?(?:density|densities|distribution|pdf|pmf|mass function|likelihood|posterior|prior)"
_NAMED_LAW = re.compile(r"\$+([^$]{1,40})\$+,?\s+(?:is|be|denotes?|as)\s+(?:the|a|an|our|some)\s+(?:[\w-]+\s+){0,2}?"
                        + _LAW_WORDS + r"\b|\b" + _LAW_WORDS + r"\s+(?:function\s+)?\$+([^$]{1,40})\$+", re.IGNORECASE)
_IMPLICATIONS = frozenset({"⇒", "⇔", "⇐"})
# the sentence leading in defines (anew): "let", "define", "denote", "where", "now take"
_DEFINING_PROSE = re.compile(r"\b(?:let|define[sd]?|defining|denote[sd]?|where|now take|consider|we write|write)\b[^.;:]*$",
                             re.IGNORECASE)
# the sentence leading in derives what follows from what the document has: "expanding the definition, you get"
_DERIVING_PROSE = re.compile(r"\b(?:(?:we|you|one)\s+(?:then\s+)?(?:get|obtain|arrive at|find)|expand\w*|substitut\w*|"
                             r"plugg?\w* (?:in|into)|it follows|follows that)\b[^.;]*$", re.IGNORECASE)
# inline math right after a conditional word: the condition of the sentence, never a definition
_CONDITIONAL_TAIL = re.compile(r"\b(?:when|whenever|if|iff|if and only if|suppose|assuming|assume|provided|unless|"
                               r"as long as|in case|such that|s\.t\.)\s*$",
                               re.IGNORECASE)
_SET_CONSTRAINT = re.compile(r"\b(?:set of|the set|such that|subject to|s\.t\.|constraints?|whose marginals?|"
                             r"with marginals?|marginals? (?:are|is)|belongs? to|member of|one of the)\b", re.IGNORECASE)


@dataclass
class Side:
    text: str
    node: tree.Node | None
    error: str = ""
    other: tree.Node | None = None  # the other reading of an ambiguous side (p(1 - p): a product, not p applied)
    flags: frozenset = frozenset()  # what the reading relied on (reader.DocumentReading.flags)
    names_used: frozenset = frozenset()  # every name the text mentions, before SymPy simplifies (w^0 to 1)
    densities: tuple = ()  # every density the text writes, before SymPy cancels one (q(a | s) p(s) / p(s))


@dataclass
class Step:
    left: Side
    relation: str
    right: Side
    first: bool  # the clause's first relation
    chain: bool  # the clause has two or more relations
    implication: bool = False  # the clause stands in an implication (⇒, ⇔): a condition, not an identity
    log_base: int | None = None  # the unit the judge reads its information quantities in (None: nats)
    open_law: object = None  # the law an E[…] that names none is read under: a Density, or "use" (judge)


@dataclass
class Line:
    """One relational statement of the document, read: its steps, and what the prose around it says."""
    statement: Statement
    text: str
    steps: list
    defining: bool = False  # the sentence leading in defines ("let", "define", "where"): a name defined anew
    derived: bool = False  # the sentence leading in derives ("expanding …, we get"): a name defined above keeps its
    # definition there, the line states a consequence of it
    assignment: str = ""  # why the line is an assignment: a line of an algorithm, a step of a numbered procedure
    error: str = ""  # a defect met while reading it (its record says so)

    @property
    def relations(self) -> tuple:
        return tuple(step.relation for step in self.steps)
    special_case: tuple = ()  # (condition text, ((Name, value tree), ...)) set up in the prose before it
    constraint: str = ""  # why the display is a constraint or a property, not an identity
    condition: str = ""  # why an inline formula is a condition the sentence sets ("when $\\theta = 0$")
    depends: dict = field(default_factory=dict)  # Name -> the names it is a function of, read from its derivatives
    gradient_variable: tree.Name | None = None  # "the gradient is wrt. $\theta$": what a bare ∇ is taken by
    held: tuple = ()  # what the prose before it holds fixed ("treat $p(z | x, w)$ as fixed"): no derivative varies it


@dataclass
class Definition:
    name: tree.Node  # Name (indices are the pattern) or Apply (arguments are the pattern)
    value: tree.Node
    line: int
    position: int = 0  # the statement's place in reading order (two inline formulas share a line)
    local: bool = False  # a value a condition sets ("when $W = 10$"): in force on its own line only


@dataclass
class Scope:
    names: DocumentNames
    lines: list = field(default_factory=list)
    definitions: list = field(default_factory=list)  # Definition, in reading order
    integers: set = field(default_factory=set)  # Name latex of names used as indices or bounds
    indexed: set = field(default_factory=set)  # Name latex of names the document writes with indices (g_{ij})
    arrays: set = field(default_factory=set)  # Name latex of vectors and matrices: bold, or declared in R^{n x m}
    densities: set = field(default_factory=set)  # heads used as laws: p(x | z), KL(p ‖ q), E_{x ~ p}, P(A | B)
    event_structure: bool = False  # the document speaks of disjoint, nested or partitioning events
    entropy_e: bool = False  # the document writes E(X) for the entropy of X
    own_constants: set = field(default_factory=set)  # constants the document defines as its own letters (e = c d)
    declarations: list = field(default_factory=list)  # (line, name latex, family, argument trees): X ∼ Pois(λ)
    own_operators: dict = field(default_factory=dict)  # an operator the document defines (f * g := ∫ …) -> its line

    def declared(self, line: int) -> dict:
        """Name -> (family, arguments) declared on or above ``line`` (the latest wins)."""
        latest = {name: (family, args) for at, name, family, args in self.declarations if at <= line}
        return {name: found for name, found in latest.items() if found[0]}
    factorisations: list = field(default_factory=list)  # (line, joint Density, the product it is): the model
    written_definitions: dict = field(default_factory=dict)  # what a definition defines (definition_key) -> {each
    # value written for it: the line it is first written on}
    particular: dict = field(default_factory=dict)  # laws the document makes particular, from the line it does: a
    # head it defines (p(x) =
    # N(…)) or a variable it declares (x ∼ …): a random finite law is no counterexample there
    closed_forms: dict = field(default_factory=dict)  # law key -> {a closed form written for it: its line}; two
    # different ones (a mixture, then another model) are examples of a law the document keeps general

    def in_force(self, line: int, same_line: bool = False) -> list:
        """The definitions stated above ``line`` (the latest of a name wins); ``same_line``: and those the line
        itself states (f(x) = 1/x → df/dx = -1/x²: a later step of the line uses its first)."""
        found = {}
        for d in self.definitions:
            if (d.line < line and not d.local) or (same_line and d.line == line):
                found[definition_key(d.name)] = d
        return list(found.values())

    def defined_before(self, node: tree.Node, line: int) -> bool:
        return any(definition_key(d.name) == definition_key(node) for d in self.definitions
                   if d.line < line and not d.local)

    def defined_twice(self, node: tree.Node, line: int) -> bool:
        """The document writes, on or above ``line``, two different definitions of the name (or the function)
        ``node`` (λ and λ_i are two names): which one the line means is not known from the order alone (an
        example, then another). A definition written below is not yet in force there (DESIGN.md, "Scan": a
        definition is in force from where it is stated): the line reads the name as it reads a name defined
        once further down."""
        return any(len(self.values_written(k, line)) > 1 for k in self.keys_of(node))

    def values_written(self, key, line: int) -> list:
        """The values the document writes for the definition key ``key`` on or above ``line``."""
        return [value for value, at in self.written_definitions.get(key, {}).items() if at <= line]

    def keys_of(self, node: tree.Node) -> set:
        """The definition keys ``node`` may stand for: its own, and for a bare name (df/dx) every function of that
        head the document writes a definition of."""
        keys = {definition_key(node)}
        if isinstance(node, tree.Name) and not node.index:
            keys |= {k for k in self.written_definitions if k[0] == "function" and k[1] == node.latex}
        return keys


def definition_key(node: tree.Node):
    """What a definition defines: a name with the number of its indices, or a function's head."""
    if isinstance(node, tree.Name):
        return ("name", node.latex, len(node.index))
    if isinstance(node, tree.Apply):
        return ("function", node.head.latex, len(node.args))
    return ("other", node)


def definable(node: tree.Node | None) -> bool:
    """A left side that can be a definition: a name, an indexed name, a function of names, a name's square
    (``\\hat\\sigma^2 = …``)."""
    if isinstance(node, tree.Pow) and isinstance(node.exponent, tree.Num):
        return definable(node.base)
    if isinstance(node, tree.Name):
        return all(isinstance(i, tree.Name | tree.Add | tree.Num) for i in node.index)
    return isinstance(node, tree.Apply) and all(isinstance(a, tree.Name) for a in node.args)


def defines(node: tree.Node | None, scope: "Scope") -> bool:
    """A left side that defines something new: definable, and not a density of a law the document uses
    (p(x) is then the marginal of p, a value the scope can compute)."""
    return definable(node) and not (isinstance(node, tree.Apply) and node.head.latex in scope.densities)


def read_side(text: str, names: DocumentNames, bare: frozenset = frozenset()) -> Side:
    """One side read; ``bare``: names standing bare in the statement (w(1 - η) is then a product)."""
    try:
        reading = read_document(text, names, bare | bare_names(text), sets=True, typed=True)
        other = None
        if "ambiguous" in reading.flags:
            try:
                other = typed(read_document(text, names, bare | bare_names(text), ambiguous="product", sets=True,
                                            typed=True), names)
            except FormulaError:  # log β(G) with β(G) a product leaves log's argument open: no reading, not another
                other = None
        return Side(text, typed(reading, names), other=other, flags=reading.flags, names_used=reading.names_used,
                    densities=written_densities(reading, names))
    except FormulaError as error:
        return Side(text, None, str(error))
    except (RecursionError, ValueError, TypeError, AttributeError, IndexError, KeyError) as error:
        return Side(text, None, f"cannot read: {error!r}"[:200])


def read_line(statement: Statement, names: DocumentNames, previous: str = "") -> Line:
    """``previous``: the last side of the display this one continues (it starts with a relation)."""
    text = clean(statement)
    bare = bare_names(text) - argument_names(text)  # H(p, q) = -Σ p(x) log q(x): q passed by name, then applied
    steps = []
    for k, clause in enumerate(split_clauses(text)):
        texts = list(clause.sides)
        if k == 0 and previous and texts and not texts[0].strip():
            texts[0] = previous
        sides = [read_side(s, names, bare) for s in texts]
        chain = len(clause.relations) >= 2
        implication = bool(_IMPLICATIONS & {clause.before, clause.after})
        for k, relation in enumerate(clause.relations):
            steps.append(Step(sides[k], relation, sides[k + 1], k == 0, chain, implication))
    return Line(statement, text, steps)


def special_case(prose: str, names: DocumentNames) -> tuple:
    """The conditions the sentence before a display sets ("when $\\theta = 0$", "if $x = 0$ and $y = 1$"): their
    text and the values they give names, or ()."""
    lead = classify.lead_in(prose)
    found = _SPECIAL_CASE.search(lead)
    if not found:
        return ()
    conditions = [m.group(1).strip() for m in _INLINE_RELATION.finditer(lead, found.start())]
    values = []
    for condition in conditions:
        parts = [p.strip() for p in condition.split("=")]
        if len(parts) == 2 and all(parts):
            left, right = read_side(parts[0], names), read_side(parts[1], names)
            if isinstance(left.node, tree.Name) and right.node is not None:
                values.append((left.node, right.node))
    return "; ".join(conditions), tuple(values)


_HELD_FIXED = re.compile(r"\b(?:treat(?:ing)?|hold(?:ing)?|keep(?:ing)?|regard(?:ing)?)\s+\$+([^$]{1,60})\$+\s+"
                         r"(?:as\s+)?(?:a\s+)?(?:fixed|constant|frozen)\b", re.IGNORECASE)


def held_fixed(prose: str, names: DocumentNames) -> tuple:
    """What the sentence before a display holds fixed ("treat $p(z | x, w)$ as fixed", "holding $q$ constant"):
    a derivative of the display does not vary it."""
    found = []
    for match in _HELD_FIXED.finditer(classify.lead_in(prose)):
        side = read_side(match.group(1).strip(), names)
        if side.node is not None:
            found.append(side.node)
    return tuple(found)


_GRADIENT_BY = re.compile(r"\b(?:gradients?|derivatives?|differentiat\w*)\b[^.$]{0,30}?\b(?:w\.?\s?r\.?\s?t\.?|with "
                          r"respect to)\s+\$+([^$]{1,30})\$+", re.IGNORECASE)


def gradient_variable(prose: str, names: DocumentNames) -> tree.Name | None:
    """The variable the lines just above a display take its gradients by ("Below, the gradient is wrt. $\\theta$"):
    a ∇ of the display that names none is taken by it."""
    found = _GRADIENT_BY.search(prose)  # the paragraph before: "Below, …" is a sentence of its own
    side = read_side(found.group(1).strip(), names) if found else None
    return side.node if side is not None and isinstance(side.node, tree.Name) else None


def constraint(prose: str, chain: bool) -> str:
    """Why the display is a constraint or a property, not an identity ("" when the prose says nothing so)."""
    lead = classify.lead_in(prose)
    if chain:
        return ""
    if _SET_CONSTRAINT.search(lead):
        return "a constraint that defines a set (the prose before it: 'such that', 'the set of', 'subject to')"
    found = classify.classify_statement((0, 0), prose, chain)
    return found.why if found is not None and found.name == "property" else ""


def build(statements: list[Statement], text: str = "", previous: list | None = None) -> Scope:
    """The scope of a document (``text``: the whole of it; ``previous``: per statement, the last side of the
    display it continues, or ""): every relational statement read, in reading order."""
    scope = Scope(DocumentNames(variables=document_letters(text),  # π, e, σ: constants only where used so
                                applied=applied_names(clean(s) for s in statements),
                                iterated=iterated_names(clean(s) for s in statements), operators=operator_names(text),
                                identities=identity_elements(text)))
    event_words = bool(_EVENT_STRUCTURE.search(text))
    source = text.split("\n")
    of_events = event_words and any(_EVENT_STRUCTURE.search(sentence) and _EVENTS.search(sentence)
                                    for sentence in _SENTENCE.split(text))
    scope.entropy_e = bool(_ENTROPY_E.search(text))
    algorithms = classify.document_algorithms(text)
    scope.densities.update(_laws_named_in_prose(text, scope.names))
    for index, statement in enumerate(statements):
        try:
            line = read_line(statement, scope.names, previous[index] if previous else "")
        except Exception as error:  # a defect met reading one line: said in its record, the document goes on
            scope.lines.append(Line(statement, clean(statement), [], error=f"{error!r}"[:200]))
            continue
        found = classify.classify_statement(statement.lines, statement.before, any(s.chain for s in line.steps),
                                            algorithms)
        if found is not None and found.name == "assignment":
            line.assignment = found.why
        line.special_case = special_case(statement.before, scope.names)
        line.defining = bool(_DEFINING_PROSE.search(classify.lead_in(statement.before)))
        line.derived = not line.defining and bool(_DERIVING_PROSE.search(classify.lead_in(statement.before)))
        line.constraint = constraint(statement.before, any(s.chain for s in line.steps))
        if not statement.display and _CONDITIONAL_TAIL.search(statement.before):
            line.condition = "a condition the sentence sets (after 'when', 'if', 'suppose'): not an identity"
        line.depends = dependence(line)
        line.held = held_fixed(statement.before, scope.names)
        first = (statement.fragment_lines[0] or statement.lines[0]) - 1  # the source just above, formulas and all:
        line.gradient_variable = gradient_variable("\n".join(source[max(0, first - 4):first]), scope.names)
        scope.lines.append(line)
        for step in line.steps:
            for side in (step.left, step.right):
                if side.node is not None:
                    _note_integers(side.node, scope.integers, scope.indexed)
                    _note_laws(side.node, scope.densities)
                    scope.arrays.update(n.latex for n in tree.names_in(side.node) if n.bold)
            if (step.relation == "∈" and step.left.node is not None and _SPACE_OF_ARRAYS.search(step.right.text)
                    and not _FUNCTION_SPACE.search(step.right.text)):  # f ∈ {ℝ^d ↦ ℝ}: functions, not arrays
                scope.arrays.update(n.latex for n in tree.names_in(step.left.node))
        _note_definitions(line, scope)
        _note_particular_laws(line, scope)
        _note_own_operators(line, scope)
    scope.event_structure = of_events or (event_words and any(_writes_events(line) for line in scope.lines))
    return scope


# binary operators a document may give a meaning of its own (a convolution, a composition, a product of its own);
# * and \ast after ^ or _ are a superscript (x^*, the optimum), not an operator
_OPERATOR = re.compile(r"\*|\\ast(?![A-Za-z])|\\(?:star|circledast|circ|otimes|oplus|odot|diamond|bullet|"
                       r"boxplus|boxtimes|boxdot|ominus|oslash|wedge|vee)(?![A-Za-z])")
_SCRIPT_STAR = re.compile(r"[\^_]\s*\{?\s*(?:\*|\\ast(?![A-Za-z]))")


def operators_in(text: str) -> set:
    """The binary operators ``text`` writes (``*`` as a superscript is none): their spellings."""
    return {m.group().replace("\\ast", "*") for m in _OPERATOR.finditer(_SCRIPT_STAR.sub(" ", text))}


def _note_own_operators(line: Line, scope: Scope) -> None:
    """An operator the line defines: a definition (:=, ≜, =:) whose left side is no name but an expression written
    with it (N(z_1) * N(z_2) := ∫ …): the document's own operator, whatever the symbol means elsewhere."""
    for step in line.steps:
        if step.first and step.relation in (":=", "≜", "=:") and not definable(step.left.node):
            for spelling in operators_in(step.left.text):
                scope.own_operators.setdefault(spelling, line.statement.lines[0])


_EVENTS = re.compile(r"\bevents?\b", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n\s*\n")
_SET_OPERATIONS = re.compile(r"\\(?:cap|cup|emptyset|varnothing|subset|subseteq|setminus)(?![A-Za-z])")


def _writes_events(line: Line) -> bool:
    """The line writes events or sets (P(A ∩ B), P(A^c), A ⊂ B, A ∩ B = ∅): the prose's "disjoint" or "subset" may
    then be of its events (a sparse subset of a network's inputs is not)."""
    return bool(_SET_OPERATIONS.search(line.text)) or any(
        isinstance(n, tree.Event) for step in line.steps for side in (step.left, step.right)
        if side.node is not None for n in side.node.walk())


def _note_particular_laws(line: Line, scope: Scope) -> None:
    if line.condition or line.constraint:  # "if p(z | x) = 0", "equality iff q(z) = p(z | x)": no closed form
        return
    for step in line.steps:
        left = step.left.node
        if step.first and step.relation in DEFINING and isinstance(left, tree.Const) and step.right.node is not None \
                and tree.names_in(step.right.node):
            scope.own_constants.add(left)  # e = c d: the document's e, not Euler's number
        if step.relation == "∼" and left is not None:
            if isinstance(left, tree.Name):  # x ∼ N(0, 1); not "… = E_S[…] \\ S_i ∼ U": a step's whole side
                _make_particular(scope, line, [("variable", left.latex)])
            law = step.right.node
            if isinstance(left, tree.Name) and not left.index:  # a law not read still ends the one declared above
                family = law.family if isinstance(law, tree.Law) else None
                scope.declarations.append((line.statement.lines[0], left.latex, family,
                                           law.params if family else ()))
        elif factorisation(step) and not _chain_rule(step):
            heads = {n.head for side in (step.left, step.right) for n in side.node.walk() if isinstance(n, tree.Density)}
            if len(heads) > 1:  # p(x, z) = q(z) r(x | z): p made of other laws (one law's i.i.d. laws factorise)
                _make_particular(scope, line, (("law", head.latex) for head in heads))
            if step.first and isinstance(left, tree.Density):  # the model: p(x, z | θ) stands for p(z) p(x | z, θ)
                scope.factorisations.append((line.statement.lines[0], left, step.right.node))
        elif (step.first and step.relation in DEFINING + ("∝",) and isinstance(left, tree.Density | tree.Apply)
              and step.right.node is not None and not _uses_head(step.right.node, left.head)
              and not (isinstance(left, tree.Apply) and _of_laws(step.right.node))
              and not _of_unknown_functions(step.right.node)):
            _make_particular(scope, line, [("law", left.head.latex)])  # p(x | z) = N(…): a closed form
            scope.closed_forms.setdefault(("law", left.head.latex), {}).setdefault(step.right.node, line.statement.lines[0])
            # (ℒ(q, θ) = E_q[log p(x, z | θ) - log q(z)]: a function of laws, unfolded where it is applied)


def _of_unknown_functions(node: tree.Node) -> bool:
    """A closed form made of functions or laws the document leaves unknown and of no family (p(x) = p̃(x) / Z): the
    law it gives is as general as they are."""
    parts = list(node.walk())
    return not any(isinstance(n, tree.Law) for n in parts) and any(isinstance(n, tree.Apply | tree.Density)
                                                                      for n in parts)


def _make_particular(scope: Scope, line: Line, keys) -> None:
    for key in keys:
        scope.particular.setdefault(key, line.statement.lines[0])


def _of_laws(node: tree.Node) -> bool:
    """``node`` speaks of laws: a density, a probability, an expectation or an information quantity in it."""
    return any(isinstance(n, tree.Density | tree.Prob | tree.Expect | tree.Moment | tree.Divergence | tree.Entropy
                          | tree.MutualInfo) for n in node.walk())


def _uses_head(node: tree.Node, head: tree.Name) -> bool:
    return any(isinstance(p, tree.Density | tree.Apply) and p.head == head for p in node.walk())


def factorisation(step: Step) -> bool:
    """p(x_1, x_2, x_3) = p(x_1) p(x_2 | x_1) p(x_3 | x_2): a joint density written as a product of densities
    of the same law -- a model (a factorisation the document chooses), not an identity of every law."""
    left, right = step.left.node, step.right.node
    if step.relation != "=" or not isinstance(left, tree.Density | tree.Apply) or not isinstance(right, tree.Mul):
        return False
    factors = [f for f in right.factors if isinstance(f, tree.Density | tree.Apply) and f.head == left.head]
    return len(factors) >= 2


def _chain_rule(step: Step) -> bool:
    """The factorisation is the chain rule, p(a, b, c) = p(a) p(b | a) p(c | a, b): an identity of every law."""
    def parts(node):
        if isinstance(node, tree.Density):
            return frozenset(node.variables), frozenset(node.given)
        return frozenset(getattr(node, "args", ())), frozenset()
    wanted, _ = parts(step.left.node)
    factors = [parts(f) for f in step.right.node.factors if isinstance(f, tree.Density | tree.Apply)]
    seen: frozenset = frozenset()
    while factors:
        following = next((f for f in factors if f[1] == seen), None)
        if following is None:
            return False
        factors.remove(following)
        seen = seen | following[0]
    return seen == wanted


def dependence(line: Line) -> dict:
    """What depends on what, read from the derivatives the line writes: ∂L/∂b beside ∂L/∂y and ∂y/∂b says L
    depends on b through y. Every derivative of a name by a name is an edge; an edge that a path of others
    implies is dropped (the chain L(y(b)), not L(y, b)). Name -> the names it is a function of; {} when a
    name depends on itself through others (no chain to read)."""
    edges: dict = {}
    for step in line.steps:
        for side in (step.left, step.right):
            for part in side.node.walk() if side.node is not None else ():
                if (isinstance(part, tree.Deriv | tree.Grad) and isinstance(part.body, tree.Name)
                        and isinstance(part.variable, tree.Name) and part.body != part.variable
                        and part.variable not in part.body.index):  # f_i(x) by x: its dependence is written
                    edges.setdefault(part.body, set()).add(part.variable)

    def reachable(start) -> set:
        seen, todo = set(), list(edges.get(start, ()))
        while todo:
            here = todo.pop()
            if here not in seen:
                seen.add(here)
                todo.extend(edges.get(here, ()))
        return seen
    if any(name in reachable(name) for name in edges):
        return {}
    direct = {}
    for name, targets in edges.items():
        through = set().union(*(reachable(w) for w in targets))  # b, reached through y
        direct[name] = tuple(sorted(targets - through, key=lambda n: n.latex))
    return direct


def index_names(node: tree.Node) -> set:
    """The latex of the names ``node`` uses as indices (x_i) or as a sum's or product's index and bounds."""
    found = set()
    for part in node.walk():
        if isinstance(part, tree.Name):
            found.update(n.latex for index in part.index for n in tree.names_in(index))
        elif isinstance(part, tree.Sum | tree.Prod):
            found.update(n.latex for bound in (part.lower, part.upper, part.index) if bound is not None
                         for n in tree.names_in(bound))
    return found


def _note_integers(node: tree.Node, integers: set, indexed: set) -> None:
    integers.update(index_names(node))
    indexed.update(part.latex for part in node.walk() if isinstance(part, tree.Name) and part.index)


def _note_laws(node: tree.Node, densities: set) -> None:
    """Heads used as laws anywhere in the document: a density with a bar, a divergence's arguments, an
    expectation's law."""
    def head(law):
        if isinstance(law, tree.Density | tree.Apply):
            return law.head.latex
        return law.latex if isinstance(law, tree.Name) and not law.index else None
    for part in _outside_ambiguities(node):
        found = []
        if isinstance(part, tree.Density):
            found = [part.head.latex]
        elif isinstance(part, tree.Divergence):
            found = [head(part.first), head(part.second)]
        elif isinstance(part, tree.Expect) and isinstance(part.law, tree.Law) and part.law.density is not None:
            found = [head(part.law.density)]
        elif isinstance(part, tree.Expect) and isinstance(part.law, tree.Name):  # E_{p_θ}[…]: p_θ is a law
            found = [head(part.law)]
        elif isinstance(part, tree.Sum | tree.Integral):  # Σ_x p(x) log p(x): p summed over its variable, logged
            bound = part.index if isinstance(part, tree.Sum) else part.variable
            logged = [a.head.latex for f in part.body.walk() if isinstance(f, tree.Fn)
                      for a in map(_unpowered, f.args) if isinstance(a, tree.Apply) and bound in a.args]
            summed = [a.head.latex for a in part.body.walk() if isinstance(a, tree.Apply) and bound in a.args]
            found = [h for h in logged if h in summed]
            if found and isinstance(part.body, tree.Mul):  # Σ_x p(x) log q(x): the weight of a logged law is a law
                found += [f.head.latex for f in part.body.factors if isinstance(f, tree.Apply) and bound in f.args]
        densities.update(h for h in found if h)


def _unpowered(node: tree.Node) -> tree.Node:
    """p(x) of p(x)^k with a number k: log(1/p(x)) logs p(x) as log p(x) does."""
    return node.base if isinstance(node, tree.Pow) and isinstance(node.exponent, tree.Num) else node


def _laws_named_in_prose(text: str, names: DocumentNames) -> set:
    """The heads the prose calls a density or a distribution ("where $p_\\theta$ is the density of $x$")."""
    found = set()
    for match in _NAMED_LAW.finditer(text):
        written = (match.group(1) or match.group(2) or "").strip()
        try:
            node = typed(read_document(written, names), names)
        except Exception:  # prose math the reader does not read names nothing
            continue
        if isinstance(node, tree.Apply | tree.Density):
            found.add(node.head.latex)
        elif isinstance(node, tree.Name) and not node.bold:
            found.add(written if not node.index else _head_latex(written, names))
    return {f for f in found if f}


def _head_latex(written: str, names: DocumentNames) -> str:
    """The head latex the reader gives ``written`` when it is applied (``p_\\theta`` -> ``p_{\\theta}``)."""
    try:
        node = typed(read_document(written + "(x)", names), names)
    except Exception:
        return ""
    return node.head.latex if isinstance(node, tree.Apply | tree.Density) else ""


def _outside_ambiguities(node: tree.Node):
    """The nodes of ``node`` not inside an ambiguous part (whose readings type nothing)."""
    yield node
    if not isinstance(node, tree.Ambiguous):
        for part in node.parts():
            yield from _outside_ambiguities(part)


def used_later(step: Step, line: Line) -> bool:
    """A later step of the line uses the name the step's left side defines (f(x, y) = x + y → ∂f/∂x = 1): the
    line states a definition, anew if the name had one, and then what follows from it."""
    defined = step.left.node
    head = defined.head.latex if isinstance(defined, tree.Apply) else getattr(defined, "latex", None)
    later = line.steps[line.steps.index(step) + 1:] if step in line.steps else []
    return head is not None and any(
        n.head.latex == head if isinstance(n, tree.Apply) else getattr(n, "latex", None) == head
        for other in later for side in (other.left, other.right) if side.node is not None
        for n in side.node.walk() if isinstance(n, tree.Name | tree.Apply))


def _note_definitions(line: Line, scope: Scope) -> None:
    where = line.statement.lines[0]
    if not line.statement.display:  # "when the input has size $W = 10$, no padding $P = 0$": a value the sentence
        for step in line.steps:  # gives for what it says next on that line, whatever it is for the document
            if step.first and step.relation == "=" and isinstance(step.left.node, tree.Name) \
                    and step.right.node is not None and not tree.names_in(step.right.node):
                scope.definitions.append(Definition(step.left.node, step.right.node, where, len(scope.lines) - 1,
                                                    local=True))
    if line.special_case or line.constraint or line.condition:
        return
    for step in line.steps:
        if not step.first or step.relation not in DEFINING or "derivative" in step.left.flags:
            continue  # d/dx (a x) = …: a derivative the reader took (read a) defines nothing
        left, right = step.left.node, step.right.node
        if line.derived and scope.defined_before(left, where):  # "expanding it, we get D(p) = …": a consequence
            continue
        if isinstance(left, tree.Name | tree.Apply) and defines(left, scope) and right is not None:
            scope.written_definitions.setdefault(definition_key(left), {}).setdefault(right, where)
        if isinstance(left, tree.Pow) or not defines(left, scope) or right is None or (
                scope.defined_before(left, where + 1) and not line.defining and not used_later(step, line)):
            continue
        if definition_key(left) in {definition_key(n) for n in right.walk() if isinstance(n, tree.Name | tree.Apply)}:
            continue  # x = x - η g: an update, not a definition
        if isinstance(left, tree.Apply) and not tree.names_in(right) & set(left.args):
            continue  # g(x, y) = 0, g(w) = c: a level set or a condition, not a function of its arguments
        scope.definitions.append(Definition(left, right, where, len(scope.lines) - 1))
