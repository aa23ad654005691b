r"""What the rules read of a document: each relational line's defining relation, its sides as the reader reads
them (a typed tree for the left side, SymPy for both), the kinds of its left side and the quantity's variable.

A kind comes from three sources, strongest first (``kinds.toml``; DESIGN.md, "Scan": rules):

1. the document's own words: the sentence before the display, or the prose around an inline formula that
   starts with the same name anywhere in the document ("Let $F$ be the CDF of the lifetime");
2. notation: the typed tree's node of the left side (a Density, a Prob, a Moment, a Divergence, ...);
3. the functions table's cues for named losses (added to the ``loss_nonnegative`` row at load).

The variable of a density is read from its notation: what stands left of the bar (``p(z \mid x)``: z), the
first argument of 𝒩 (``\mathcal{N}(x; m, s^2)``: x), the value in an event (``P(X = k)``: k).

Nothing here reads meaning from a letter: a name's kind is what the document writes of it.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import sympy
from sympy.core.function import AppliedUndef

from derivspec.core.errors import FormulaError
from derivspec.scan import classify, tree
from derivspec.scan.clauses import split_clauses
from derivspec.scan.letters import document_letters, identity_elements
from derivspec.scan.reader import (DocumentNames, applied_names, bare_names, iterated_names, operator_names,
                                   read_document)
from derivspec.scan.statements import clean, continuations
from derivspec.scan.typed_reading import typed

KINDS_FILE = Path(__file__).with_name("kinds.toml")
DEFINING = ("=", ":=", "≡", "≜")

# the guards every rule respects (docs/rules/index.md): words of the sentence before a display, or of the display
_GUARD_WORDS = re.compile(
    r"\b(?:unnormali[sz]ed|un-normali[sz]ed|up to (?:a |an additive |a multiplicative )?(?:constant|normali[sz]|factor)|"
    r"proportional|energy|energies|score functions?|score matching|score-based|stein score|logits?|improper|flat prior|uniform prior over (?:the )?(?:real|whole)|"
    r"with respect to (?:the |a )?(?:\w+ )?measure|counting measure|lebesgue|base measure|asymptotic\w*|"
    r"in the limit|approximately|approximate\w*|not normali[sz]ed|normali[sz]ing constant|partition function|"
    r"wrong|incorrect|mistake|typo|erroneous|suppose for contradiction|(?:is|are) not (?:a |an )?(?:valid|proper|"
    r"normali[sz]ed|density|distribution|probability|loss))\b", re.IGNORECASE)
_GUARD_MATH = re.compile(r"\\propto|\\approx|\\simeq|\\lim(?![A-Za-z])|\\to(?![A-Za-z])|\\rightarrow|"
                         r"\\tilde|\\widetilde|\bO\(|\\mathcal\s*\{?O\}?\(|\\text\s*\{[^}]*"
                         r"otherwise[^}]*\}\s*(?:\\\\|\\end)|\\text\s*\{\s*const|\\mathrm\s*\{\s*const|\\operatorname"
                         r"\s*\{\s*const|\+\s*C\b")
# the guards above that fix the *value* of a normaliser (∝, 1/Z, "up to a constant"), not whether one exists: a rule
# about its existence (DS210, normalisable.py) sees through them (``Line.guarded(normaliser=False)``)
_NORMALISER_WORDS = re.compile(r"(?:unnormali[sz]ed|un-normali[sz]ed|up to .*|proportional|not normali[sz]ed|"
                               r"normali[sz]ing constant|partition function)", re.IGNORECASE)
_NORMALISER_MATH = re.compile(r"\\propto|\\text\s*\{\s*const.*|\\mathrm\s*\{\s*const.*|\\operatorname\s*\{\s*const.*|\+\s*C")
_OPAQUE = "⟦"
_ELIDED = re.compile(r"\\(?:[lc]?dots|dotsc|dotsb|vdots)(?![A-Za-z])")  # in the value itself: terms elided
_ELIDED_CASES = re.compile(r"\\begin\{cases\}(?:(?!\\end\{cases\}).)*\\(?:[lcv]?dots)", re.DOTALL)


@dataclass(frozen=True)
class Kind:
    name: str
    properties: tuple
    cues: tuple
    nodes: tuple


@functools.cache
def kinds() -> dict[str, Kind]:
    """kinds.toml, with the functions table's cues for named losses added to ``loss_nonnegative``."""
    data = tomllib.loads(KINDS_FILE.read_text(encoding="utf-8"))["kind"]
    found = {name: Kind(name, tuple(row.get("properties", ())), tuple(c.lower() for c in row.get("cues", ())),
                        tuple(row.get("nodes", ()))) for name, row in data.items()}
    loss = found["loss_nonnegative"]
    found["loss_nonnegative"] = Kind(loss.name, loss.properties, tuple(dict.fromkeys(loss.cues + _loss_cues())),
                                     loss.nodes)
    return found


def _loss_cues() -> tuple:
    """The functions table's words for losses that cannot be negative (hinge, squared, absolute, cross-entropy)."""
    try:
        from derivspec.scan import knowledge

        words = []
        for function in knowledge.functions().values():
            named = " ".join((function.name, *function.aliases)).lower()
            if "loss" in named and any(k in named for k in ("hinge", "squared", "absolute", "cross", "logistic", "huber")):
                words.extend(w.lower() for w in (*function.aliases, *function.cues) if "loss" in w.lower())
        return tuple(words)
    except Exception:
        return ()


def exact(reading):
    """A reading's expression with each decimal as printed (1.3) made its exact value."""
    literals = getattr(reading, "literals", None) or {}
    return reading.expr.xreplace({s: sympy.Rational(str(v[0])) for s, v in literals.items()}) if literals else reading.expr


@dataclass
class Line:
    """One relational statement: its defining relation and what the rules read of it (lazily)."""

    index: int
    statement: object
    text: str
    left_text: str
    relation: str
    right_text: str
    doc: "Document"
    lead: str = ""  # the sentence leading into it
    _read: dict = field(default_factory=dict)

    @property
    def line(self) -> int:
        return self.statement.lines[0]

    @property
    def around(self) -> str:
        """The words around the display: the sentence leading into it and the one after it (or its table row)."""
        after = re.split(r"(?<=[.!?])\s|\n\s*\n", getattr(self.statement, "after", "") or "", maxsplit=1)[0]
        return self.lead + " " + after[:240]

    def reading(self, which: str):
        """The reader's reading of a side (``left`` / ``right``), or None when it is not read."""
        if which not in self._read:
            text = self.left_text if which == "left" else self.right_text
            try:
                self._read[which] = read_document(text, self.doc.names, bare_names(self.text))
            except (FormulaError, RecursionError, ValueError, TypeError, AttributeError, IndexError, KeyError):
                self._read[which] = None
        return self._read[which]

    def node(self, which: str) -> tree.Node | None:
        key = which + " node"
        if key not in self._read:
            reading = self.reading(which)
            try:
                self._read[key] = typed(reading, self.doc.names) if reading is not None else None
            except Exception:
                self._read[key] = None
        return self._read[key]

    def expr(self, which: str):
        """A side as SymPy, or None when it holds an application (other than an indexed name, x_i), an opaque part or
        is not read."""
        reading = self.reading(which)
        if reading is None:
            return None
        expr = exact(reading)
        if not isinstance(expr, sympy.Basic) or any(not a.func.__name__.endswith("_{•}") for a in expr.atoms(AppliedUndef)) or any(
                _OPAQUE in s.name for s in expr.free_symbols):
            return None
        return expr

    @property
    def kinds(self) -> set:
        if "kinds" not in self._read:
            self._read["kinds"] = self.doc.kinds_of(self)
        return self._read["kinds"]

    def guarded(self, normaliser: bool = True, below: bool | None = None) -> str:
        """Why no rule judges this line ("" when none of the common guards holds). ``normaliser=False``, for a rule on
        a normaliser's existence: the guards on its value (∝, "up to a constant", "unnormalised") do not count, nor a
        name defined further down (such a rule draws every name it does not know with either sign); ``below=False``:
        a name of the line defined further down does not count either (DS212 reads the prose after the line)."""
        words = _GUARD_WORDS.finditer(self.lead)
        if self.doc.guarded_lead(self.lead) or any(normaliser or not _NORMALISER_WORDS.fullmatch(m.group(0))
                                                    for m in words):
            return "the prose before it"
        if any(normaliser or not _NORMALISER_MATH.fullmatch(m.group(0)) for m in _GUARD_MATH.finditer(self.statement.text)):
            return "the display itself"
        if _ELIDED.search(self.right_text) or _ELIDED_CASES.search(self.statement.text):
            return "elided terms or cases"
        if (normaliser if below is None else below) and self.doc.defined_below(self):
            return "a quantity defined further down"
        return ""


class Document:
    """The lines of a document as the rules read them."""

    def __init__(self, relational: list, text: str):
        self.text = text
        self.names = DocumentNames(variables=document_letters(text), applied=applied_names(clean(s) for s in relational),
                                   iterated=iterated_names(clean(s) for s in relational), operators=operator_names(text),
                                   identities=identity_elements(text))
        self.lines: list[Line] = []
        self.heads: dict[str, list[int]] = {}  # the head a line defines (as written) -> the lines that define it
        self.algorithms = classify.document_algorithms(text)
        self.laws = declared_laws(text)  # X ~ Pois(λ): the family of each declared random variable
        self.clauses = list(_relational_clauses(relational))  # (index, statement, cleaned, clauses), split once
        for index, statement, cleaned, clauses in self.clauses:
            for clause in clauses:
                head = _head(clause.sides[0])
                if head and clause.relations[0] in DEFINING:
                    self.heads.setdefault(head, []).append(statement.lines[0])
            if not clauses or clauses[0].relations[0] not in DEFINING or not clauses[0].sides[0].strip():
                continue
            self.lines.append(self.line(index, statement, cleaned, clauses[0]))
        self.proportional = _proportional_lines(self, relational)
        self._values = None

    def values(self) -> dict:
        """symbol -> value of every plain name the document defines once (``q = 1 - p`` in a sentence, a table row,
        another cell, a clause of a display), wherever it is: what a rule substitutes before it draws the name free."""
        if self._values is None:
            found: dict = {}
            for index, statement, cleaned, clauses in self.clauses:
                for clause in clauses:
                    for k, relation in enumerate(clause.relations):
                        left = clause.sides[k].strip()
                        if relation not in ("=", ":=", "≜") or not re.fullmatch(r"\\?[A-Za-z]+(?:_\{?\w+\}?)?", left):
                            continue
                        try:
                            value = exact(read_document(clause.sides[k + 1], self.names))
                        except Exception:
                            continue
                        symbol = self.names.symbol(left)
                        if not isinstance(value, sympy.Expr) or symbol in value.free_symbols or value.atoms(AppliedUndef) \
                                or not value.free_symbols:
                            continue
                        found.setdefault(symbol, set()).add(value)
            self._values = {s: next(iter(v)) for s, v in found.items() if len(v) == 1}
        return self._values

    def line(self, index: int, statement, cleaned: str, clause, left: str | None = None) -> "Line":
        """The Line of a statement's first relational clause (``left``: its left side, when taken from elsewhere)."""
        return Line(index, statement, cleaned, clause.sides[0].strip() if left is None else left, clause.relations[0],
                    clause.sides[1].strip(), self, classify.lead_in(statement.before))


    # --- guards -------------------------------------------------------------------------------------

    def guarded_lead(self, lead: str) -> bool:
        return classify.special_case_or_constraint(lead)

    def defined_below(self, line: Line) -> bool:
        """The right side uses a name the document defines only further down (not yet in force)."""
        reading = line.reading("right")
        if reading is None:
            return False
        for symbol in reading.expr.free_symbols:
            written = self.names.latex.get(symbol) or symbol.name
            at = self.heads.get(written.replace(" ", ""))
            if at and min(at) > line.line and not re.search(  # "… where $q = 1 - p$": the display's own words
                    r"\$\s*" + re.escape(written.replace(" ", "")) + r"\s*(?::=|=)", line.around.replace(" ", "")):
                return True
        return False

    def defined_above(self, head: str, line: int) -> bool:
        return any(at < line for at in self.heads.get(head, ()))

    # --- kinds ----------------------------------------------------------------------------------------

    def kinds_of(self, line: Line) -> set:
        """The kinds of the line's left side: from the document's words, then from its notation."""
        words = line.lead.lower()
        head = _head(line.left_text)
        around = self.prose_around(head) if head else ""
        found = {kind.name for kind in kinds().values()
                 if any(_says(cue, words) or (around and _says(cue, around)) for cue in kind.cues)}
        node = line.node("left")
        found |= {kind.name for kind in kinds().values() if any(_node_is(node, spec) for spec in kind.nodes)}
        law = self.law_of(line)
        if law is not None and not found & {"cdf", "likelihood", "log_likelihood", "loss_nonnegative"}:
            if law.kind == "discrete" and (isinstance(node, tree.Prob | tree.Density | tree.Apply)):
                found.add("pmf")
            elif law.kind == "continuous" and isinstance(node, tree.Density | tree.Apply):
                found.add("density")
            if isinstance(node, tree.Apply) and "\\log" in line.right_text and not self.density_head(node.head.latex):
                found -= {"pmf", "density"}  # ℓ(p) = h log p + …: a log-likelihood of a declared parameter
        if _NOT_THE_QUANTITY.search(line.left_text) or _NOT_THE_QUANTITY_WORDS.search(line.lead[-70:]):
            found -= {"pmf", "density", "conditional_density", "probability", "cdf", "loss_nonnegative", "variance",
                      "std", "entropy_discrete", "divergence", "probability_vector"}  # its derivative, inverse, …
        if found & _LAW_KINDS and not isinstance(node, tree.Prob | tree.Density | tree.Law | tree.Moment) and \
                self.not_a_probability(line.left_text):
            found -= _LAW_KINDS  # N = 100 for "N = 100 students", (I - P)^2 = I - P for "the projection matrix P"
        if "probability" in found and isinstance(node, tree.Name) and not self.called_probability(line):
            found.discard("probability")  # "the probability that $X = 5$": the name is in the event, not its value
        if "log_likelihood" in found:
            found.discard("likelihood")
        if re.match(r"^\s*\\log\b|^\s*\\ell\b", line.left_text) and "likelihood" in found:
            found.discard("likelihood")
            found.add("log_likelihood")
        return found

    def density_head(self, head: str) -> bool:
        """The document uses ``head`` as a density (derivspec.scan.scope.density_names)."""
        if not hasattr(self, "_density_heads"):
            from derivspec.scan.scope import density_names, normal

            self._density_heads = {normal(h) for h in density_names([line.text for line in self.lines], self.text)}
        from derivspec.scan.scope import normal

        return normal(head) in self._density_heads

    def law_of(self, line: Line):
        """The declared family (knowledge.families) of the line's variable: the random variable of an event
        (P(X = k): X), or the variable of a density written with the declared name (p(x) with x ~ …); None."""
        if not self.laws:
            return None
        found = _EVENT_VARIABLE.match(line.left_text)
        if found:
            return self.laws.get(found.group(1).replace(" ", ""))
        node = line.node("left")
        names = (node.variables if isinstance(node, tree.Density) else node.args if isinstance(node, tree.Apply) else ())
        if len(names) == 1 and isinstance(names[0], tree.Name) and not names[0].index:
            return self.laws.get(names[0].latex.replace(" ", ""))
        return None

    @functools.cache
    def prose_around(self, head: str) -> str:
        r"""The prose around the inline formulas that start with ``head`` ($F$, $F(x)$): what the document says the
        name is, at any distance (lower case)."""
        found = []
        for match in re.finditer(r"(?<!\$)\$([^$]{1,60})\$(?!\$)", self.text):
            inside = match.group(1).strip()
            if _head(inside.split("=")[0]) != head and inside.replace(" ", "") != head:
                continue
            found.append(self.text[max(0, match.start() - 70):match.end() + 50])
        return " ".join(found).lower()

    def said_to_be(self, name: str) -> str:
        r"""What the document's words and notation say ``name`` (as written) is, when that is something no
        probability can be: "count" (``$N = 100$ students``, the sample size ``$n$``, ``\sum_{i=1}^{N}``,
        ``\binom{N}{k}``) or "matrix" (the projection matrix ``$P$``, ``$P$ is idempotent``, ``P^\top``,
        ``A \in \mathbb{R}^{m \times n}``) or "random" (a random variable: ``X \sim \ldots``, "the random variable
        $X$", "let $X$ be the number of heads"); "probability" when it calls the name a probability itself ("the
        probability $q$", "$q$ is the probability"), which wins; "" when it says none of these."""
        return _said_to_be(self.text, name.replace(" ", ""))

    def called_probability(self, line: Line) -> bool:
        """The document's words call the line's left side itself a probability: of the name anywhere ("the
        probability $q$", "$p_A$ is the probability of A"), or in the sentence that gives the display as the value of
        a probability ("The probability of a yes answer is"); not "the probability that $X = 5$", whose formula is
        the event."""
        return self.said_to_be(line.left_text) == "probability" or bool(_CALLED.search(line.lead))

    def not_a_probability(self, left: str) -> bool:
        """The left side is a name the document calls a count or a random variable, or an expression in names it
        calls matrices."""
        names = _NAMES.findall(left)
        if not names:
            return False
        said = {n: self.said_to_be(n) for n in set(names)}
        if "probability" in said.values():
            return False
        if _head(left) == left.strip().replace(" ", "") and said.get(names[0]) in ("count", "random") and \
                len(set(names)) == 1:
            return True
        return any(v == "matrix" for v in said.values())

    def variables(self, line: Line) -> tuple:  # noqa: C901
        """The quantity's variables as SymPy symbols of the right side (left of the bar, 𝒩's first argument, the
        value of an event), with what it is given."""
        node = line.node("left")
        names, given = (), ()
        if isinstance(node, tree.Density):
            names, given = node.variables, node.given
        elif isinstance(node, tree.Apply):
            names = node.args
        elif isinstance(node, tree.Entropy) and not node.given:  # H(d) the document calls a CDF
            names = node.of
        elif isinstance(node, tree.Law) and node.at:
            names, given = node.at, node.params
        elif isinstance(node, tree.Prob) or re.match(r"^\s*(?:P|\\Pr|\\mathrm\s*\{Pr\}|\\mathbb\s*\{?P\}?|p)\s*\(", line.left_text):
            found = _EVENT_VALUE.match(line.left_text)
            if found:
                return (self.symbol(found.group(1), line),), tuple(
                    self.symbol(g.strip(), line) for g in (found.group(2) or "").split(",") if g.strip())
        symbols = tuple(self.symbol_of(n, line) for n in names)
        return symbols, tuple(self.symbol_of(n, line) for n in given)

    def symbol_of(self, name: tree.Node, line: Line):
        if not isinstance(name, tree.Name) or name.index:
            return None
        return self.symbol(name.latex, line)

    def symbol(self, latex: str, line: Line):
        """The symbol of the line's right side written ``latex`` (None when the right side does not use it)."""
        reading = line.reading("right")
        if reading is None:
            return None
        want = _bare(latex)
        return next((symbol for symbol in reading.expr.free_symbols
                     if _bare(self.names.latex.get(symbol) or symbol.name) == want or _bare(symbol.name) == want),
                    sympy.Symbol("⟪absent⟫" + want))  # a variable the right side does not use


def _proportional_lines(doc: Document, relational: list) -> list[Line]:
    """The lines only a rule on a normaliser's existence reads (``Document.proportional``): a display led by ∝
    (``p(x) \\propto …``), and a display that goes on from the one above (``\\propto …``, ``= …``: the scan's chain
    reader, statements.continuations), whose left side is that display's."""

    found, firsts = [], {}
    _, continues = continuations(relational)
    for index, statement, cleaned, clauses in doc.clauses:
        if not clauses:
            continue
        first = clauses[0]
        left = first.sides[0].strip()
        firsts[index] = left
        if not left and continues[index] is not None:
            left = firsts.get(continues[index], "")
            firsts[index] = left
        elif not (left and first.relations[0] == "∝"):
            continue
        if left and first.relations[0] in DEFINING + ("∝",):
            found.append(doc.line(index, statement, cleaned, first, left))
    return found


def _relational_clauses(relational: list):
    """(index, statement, cleaned text, its clauses that hold a relation) of every statement that splits."""
    for index, statement in enumerate(relational):
        cleaned = clean(statement)
        try:
            yield index, statement, cleaned, [c for c in split_clauses(cleaned) if c.relations]
        except Exception:
            continue


_LAW_KINDS = frozenset({"pmf", "density", "conditional_density", "probability", "cdf", "probability_vector"})
_NAMES = re.compile(r"\\(?!left|right|frac|top|mathbf|mathrm|bm|boldsymbol|cdot|times|sum|prod|log|exp)[A-Za-z]+|"
                    r"(?<![\\A-Za-z])[A-Za-z](?![A-Za-z])")
_COUNT_BEFORE = re.compile(r"(?:\bnumber of\b[^$.;]{0,40}|\b(?:sample size|size|count|total)\s+(?:of\s+)?|"
                           r"\bsample of size\s+)$", re.IGNORECASE)
_NOT_A_NOUN = frozenset({"is", "was", "has", "does", "as", "its", "this", "thus", "us", "plus", "minus", "times", "less",
                         "across", "process", "class", "loss", "bias", "gives", "yes", "values", "always", "sometimes",
                         "equals", "becomes", "goes", "grows", "tends", "means", "decreases", "increases", "remains",
                         "satisfies", "denotes", "takes", "makes", "follows", "holds", "implies", "contains", "steps"})
_MATRIX_WORDS = r"(?:matrix|matrices|projection|projector|idempotent)"
# a sentence that gives the display as the value of a probability: "The probability of a yes answer is"
_CALLED = re.compile(r"\b(?:probabilit(?:y|ies)|chances?)\b[^.;?!]*\b(?:is|are|equals?|becomes|reads|by|be|as)\s*"
                     r"(?:then|thus|therefore|simply|just|now|exactly)?\s*[:,]?\s*$", re.IGNORECASE)
_RANDOM_AFTER = re.compile(r"\s*(?:is|be|denotes?)\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,2}?(?:random variable|number|"
                           r"count|time|outcome)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=256)
def _said_to_be(text: str, name: str) -> str:
    if not name:
        return ""
    quoted = re.escape(name)
    inline = r"\$\s*" + quoted + r"\s*(?:=\s*(\d+)\s*)?\$"  # $N$ or $N = 100$
    found = set()
    for m in re.finditer(inline, text):
        before, after = text[max(0, m.start() - 60):m.start()], text[m.end():m.end() + 60]
        if re.search(r"\bprobabilit\w*\s+(?:of\s+(?!\w+ing\b)\w+\s+)?$", before, re.IGNORECASE) or re.match(
                r"\s*(?:is|be|denotes?|as)\s+(?:the|a|an|its)\s+(?:\w+\s+)?probability\b", after, re.IGNORECASE):
            return "probability"
        # what it counts: a plural noun after it ($n$ trials, $N$ independent samples), or after a whole number
        # any noun ($N = 250$ people)
        noun = re.match(r"\s+(?:[a-z-]+\s+)?([a-z]{3,}s|people|children|men|women)\b" if m.group(1) is None else
                        r"\s+([a-z]{3,})\b", after)
        if _COUNT_BEFORE.search(before) or (noun and noun.group(1) not in _NOT_A_NOUN and not re.match(
                r"\s+(?:is|are|be|and|or|of|in|to|the|for|with|at|on|by|so|then|we|it|which|that|where|while)\b",
                after)):
            found.add("count")
        if re.search(r"\brandom variables?\s+$", before, re.IGNORECASE) or _RANDOM_AFTER.match(after):
            found.add("random")
        if re.search(_MATRIX_WORDS + r"\s+$", before, re.IGNORECASE) or re.match(
                r"\s*(?:is|be|denotes?)\s+(?:a|an|the)?\s*(?:[\w-]+\s+){0,3}?" + _MATRIX_WORDS, after, re.IGNORECASE):
            found.add("matrix")
    if re.search(r"(?<![\\A-Za-z])" + quoted + r"\s*\^\s*\{?\s*(?:\\top|\\intercal|T|\\mathsf\s*\{?T\}?)\s*\}?(?![A-Za-z])|"
                 r"(?<![\\A-Za-z])" + quoted + r"\s*\\in\s*\\mathbb\s*\{?R\}?\s*\^\s*\{[^{}]*\\times", text):
        found.add("matrix")
    if re.search(r"\\(?:sum|prod)\s*_\s*\{[^{}]*\}\s*\^\s*\{?\s*" + quoted + r"\s*\}?(?![A-Za-z])|\\binom\s*\{\s*" +
                 quoted + r"\s*\}", text):
        found.add("count")
    if re.search(r"(?<![\\A-Za-z])" + quoted + r"\s*\\sim(?![A-Za-z])", text):
        found.add("random")
    return "matrix" if "matrix" in found else "count" if "count" in found else "random" if "random" in found else ""


_EVENT_VALUE = re.compile(r"^\s*(?:P|\\Pr|\\mathrm\s*\{Pr\}|\\mathbb\s*\{?P\}?|p)\s*(?:_\{?[^(]*\}?)?\s*\(\s*(?:\\left)?\s*"
                          r"[A-Za-z](?:_\{?\w+\}?)?\s*=\s*((?:\\[A-Za-z]+|[A-Za-z])(?:_\{?\w+\}?)?)\s*"
                          r"(?:(?:\\mid|\||;)\s*([^()]*))?\s*(?:\\right)?\)\s*$")


# a left side that is not the quantity itself but its derivative, inverse or logarithm: p'(x), F^{-1}(u)
_NOT_THE_QUANTITY = re.compile(r"'|\^\s*\{?\s*-\s*1|\\prime|^\s*-?\s*\\log|^\s*\\nabla|^\s*\\partial|^\s*\\frac\s*\{\s*(?:d|\\partial)")
_NOT_THE_QUANTITY_WORDS = re.compile(r"\b(?:gradient|derivative|subgradient|partial|slope|inverse|quantile|"
                                     r"log|logarithm|minimi[sz]\w*|maximi[sz]\w*|update|step|estimat\w*)\s+"
                                     r"(?:of|for|with respect|w\.r\.t\.)", re.IGNORECASE)
_EVENT_VARIABLE = re.compile(r"^\s*(?:P|\\Pr|\\mathrm\s*\{Pr\}|\\mathbb\s*\{?P\}?|p)\s*\(\s*"
                             r"((?:\\[A-Za-z]+|[A-Za-z])(?:_\{?\w+\}?)?)\s*=")
_DECLARED = re.compile(r"((?:\\[A-Za-z]+|[A-Za-z])(?:_\{?\w+\}?)?)\s*\\sim\s*((?:\\(?:math[a-z]+|operatorname|text)\s*"
                       r"\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z]+))\s*(?:\\left)?\s*\(")


def declared_laws(text: str) -> dict:
    """name (as written) -> the family the document declares it with (``X \\sim \\mathrm{Pois}(\\lambda)``)."""
    from derivspec.scan import knowledge
    from derivspec.scan.typed_reading import _family_of

    found = {}
    for m in _DECLARED.finditer(text):
        head = m.group(2).replace(" ", "")
        name = "normal" if re.fullmatch(r"\\mathcal\{?N\}?", head) else _family_of(head)
        if name is None:
            continue
        try:
            found[m.group(1).replace(" ", "")] = knowledge.families()[name]
        except KeyError:
            continue
    return found


def _bare(latex: str) -> str:
    return latex.replace(" ", "").replace("{", "").replace("}", "")


def written(name) -> str:
    """A typed-tree name as LaTeX writes it, with a one-part index (``m_{1}``, ``x_{i}``)."""
    if len(name.index) == 1:
        index = name.index[0]
        if isinstance(index, tree.Num) and index.value.denominator == 1:
            return f"{name.latex}_{{{index.value.numerator}}}"
        if isinstance(index, tree.Name) and not index.index:
            return f"{name.latex}_{{{index.latex}}}"
    return name.latex


def _head(text: str) -> str:
    r"""The head of a left side that names a quantity (``F(x)`` -> ``F``, ``\ell_i(\theta)`` -> ``\ell_i``, ``\sigma``),
    as written without spaces; "" for anything else."""
    found = re.match(r"^\s*((?:\\[A-Za-z]+\s*\{?\s*)?(?:\\[A-Za-z]+|[A-Za-z])\s*\}?(?:_\s*(?:\{[^{}]*\}|\\?[A-Za-z0-9]+))?"
                     r"(?:\^\s*(?:\{[^{}]*\}|[A-Za-z0-9*]))?'*)\s*(?:\\left)?(?:\(|\[|$)", text)
    return found.group(1).replace(" ", "") if found else ""


def _says(cue: str, words: str) -> bool:
    return re.search(r"(?<![\w-])" + re.escape(cue) + r"(?![\w-])", words) is not None


def _node_is(node, spec: str) -> bool:
    """A node matches a kinds.toml node spec: a type name, then an optional detail (``Moment var``, ``Density
    given``)."""
    name, _, detail = spec.partition(" ")
    if node is None or type(node).__name__ != name:
        return False
    if not detail:
        return True
    if detail == "given":
        return bool(getattr(node, "given", ()))
    return getattr(node, "kind", None) == detail
