r"""The document's scope as a table: every symbol, function and operator it uses, what ``scan`` takes it to be, and
how it knows (issue 88; DESIGN.md, "Scan": provenance).

One pass over the document's math (after its macros and declarations) lists each name; its reading comes from,
strongest first: a **declared** entry (derivspec/scan/declarations.py), a **defined** one (the document's own
equation, law, type or words, with the line), and the one table of standard notation
(``derivspec/data/knowledge/notation.toml``), whose rows are **notation** (one meaning in the field) or **guess**
(a convention the field breaks); a function never defined is **unknown**. The same table holds the letter roles the
recognisers read (:func:`role_letters`).

A verdict records the entries it rests on (:func:`rests_on`); a flag resting on a guess or an unknown is a
**question** (:func:`judged`), worded as one and naming the declaration that answers it.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

from derivspec.scan.macros import closing
from derivspec.scan.scope import names_one_of, words_only

TABLE = Path(__file__).resolve().parents[1] / "data" / "knowledge" / "notation.toml"
WEAK = ("guess", "unknown")  # a disagreement resting on one of these is a question


@functools.cache
def table() -> dict:
    data = tomllib.loads(TABLE.read_text(encoding="utf-8"))
    return {"symbol": {row["id"]: row for row in data.get("symbol", [])},
            "role": {row["id"]: row for row in data.get("role", [])}}


def role_letters(role: str) -> frozenset:
    """The letters the table gives ``role`` (a guess: a recogniser reads them, never a module's own list)."""
    return frozenset(table()["role"][role]["letters"])


def row(symbol_id: str) -> dict:
    return table()["symbol"][symbol_id]


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str
    provenance: str  # declared | defined | notation | guess | unknown
    line: int
    cue: str
    declare: tuple = ()  # the declarations that answer a guess
    contradicted: str = ""  # a declaration the document's text contradicts: where and how

    def to_json(self) -> dict:
        data = {k: v for k, v in asdict(self).items() if k not in ("declare", "contradicted")}
        if self.declare:
            data["declare"] = list(self.declare)
        if self.contradicted:
            data["contradicted"] = self.contradicted
        return data

    def short(self) -> dict:
        return {"name": self.name, "provenance": self.provenance, "line": self.line}


# ----------------------------------------------------------------------------------------------- reading names

_GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi rho "
          "varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi "
          "Psi Omega ell").split()
_FONTS = r"mathbf|boldsymbol|bm|vec|mathcal|mathbb|mathrm|mathit|mathsf|mathscr|mathfrak|hat|tilde|bar|widehat|" \
         r"widetilde|overline|operatorname|text|textrm|dot|ddot"
# operators written as plain words (Var(X), KL(p || q), log x): one name each, not three letters
_WORDS = r"(?<![A-Za-z\\])(?:Var|Cov|KL|JSD|JS|log|ln|exp|max|min|argmax|argmin|arg|tr|Tr|det|diag|softmax|sigmoid|erf|" \
         r"Pr|sup|inf|lim|sin|cos|tanh)(?![A-Za-z])|D\s*_\s*\{?\s*(?:\\math\w+\s*\{\s*KL\s*\}|\\text\s*\{\s*KL\s*\}|KL)\s*\}?" \
         r"|(?<![A-Za-z\\])[A-Za-z]{3,}(?![A-Za-z])"  # D_{KL}; a longer run of letters is a word (else, if, count)
_OPERATOR_WORDS = r"Var|Cov|KL|JSD|JS|log|ln|exp|max|min|argmax|argmin|arg|tr|Tr|det|diag|softmax|sigmoid|erf|Pr|sup|inf|lim|" \
                  r"sin|cos|tanh"
_TOKEN = re.compile(r"\\(?P<font>" + _FONTS + r")(?![A-Za-z])\s*(?:\{\s*(?P<inner>[^{}]*?)\s*\}|(?P<one>\\[A-Za-z]+|[A-Za-z]))"
                    r"|(?P<cmd>\\[A-Za-z]+)|(?P<word>" + _WORDS + r")|(?P<letter>[A-Za-z])|(?P<open>_\s*\{|[_^]|\{|\})")
_WORDS_IN_TEXT = ("text", "textrm")
_BOLD = ("mathbf", "boldsymbol", "bm", "vec")
_RANDOM_OPERATORS = re.compile(r"(?:\\mathbb\s*\{?\s*[EPV]\s*\}?|\b[EP]\b|\\Pr|Var|Cov|\\(?:operatorname|mathrm|mathbb|text|"
                               r"mathbf)\s*\{\s*(?:Var|Cov|E|P)\s*\})\s*(?:_\s*(?:\{[^{}]*\}|\S))?\s*(?:\\left\s*)?[(\[]")


@dataclass
class _Use:
    key: str
    line: int
    applied: bool = False
    sub: bool = False  # inside a subscript or superscript
    bold: bool = False
    bound: bool = False  # a sum's or product's index
    random: bool = False  # inside E[·], Var(·), P(·)
    scalar: bool = False  # where only a number is written: a denominator, an exponent, under a root
    argument: bool = False  # a whole argument of an application, p(w | X, y): a function of it, whatever it is
    doubled: bool = False  # 2π: the constant in every convention


def uses(text: str, line: int) -> list[_Use]:
    """Every name ``text`` (one statement's math) writes, with how it is used."""
    found, depth, scripts = [], 0, []  # scripts: brace depths at which a subscript group opened
    pending_script = False
    randoms = [(m.end(), _closing(text, m.end() - 1)) for m in _RANDOM_OPERATORS.finditer(text)]
    arguments = []  # inside an application's brackets (p(w | X, y), f(A)): no arithmetic of its own there
    for m in re.finditer(r"(?<![\\A-Za-z])(?:\\[A-Za-z]+|[A-Za-z])\s*(?:_\s*(?:\{[^{}]*\}|\S)\s*)?(?:\\left\s*)?\(", text):
        bar = re.search(r"\||\\mid|\\vert", text[m.end():_closing(text, m.end() - 1)])
        if bar:  # p(x | z), Λ(W | μ): left of the bar, the law's variables (what it is given may be a matrix)
            randoms.append((m.end(), m.end() + bar.start()))
        if not re.match(r"\\(?:log|ln|exp|sqrt|sin|cos|tanh|max|min|det|operatorname|mathrm|left)|[EP]\b", m.group(0)):
            arguments.append((m.end(), _closing(text, m.end() - 1)))
    bound_single = {m.end() - 1 for m in re.finditer(r"\\(?:sum|prod)\s*_\s*[A-Za-z]", text)}
    bound_spans = [(m.end(), _closing(text, m.end() - 1)) for m in re.finditer(r"\\(?:sum|prod)\s*_\s*\{", text)]
    bound_spans += [(m.end(), _closing(text, m.end() - 1)) for m in re.finditer(  # Σ_{i=1}^{N}: N bounds it
        r"\\(?:sum|prod)\s*_\s*(?:\{[^{}]*\}|\S)\s*\^\s*\{", text)]
    bound_single |= {m.end() - 1 for m in re.finditer(r"\\(?:sum|prod)\s*_\s*(?:\{[^{}]*\}|\S)\s*\^\s*[A-Za-z]", text)}
    scalar_spans = _scalar_spans(text)
    for m in _TOKEN.finditer(text):
        opened = m.group("open")
        if opened:
            if opened.startswith("_") and "{" in opened or (opened == "{" and pending_script):
                scripts.append(depth)
                depth += 1
            elif opened == "{":
                depth += 1
            elif opened == "}":
                depth -= 1
                if scripts and scripts[-1] == depth:
                    scripts.pop()
            pending_script = opened in ("_", "^")
            continue
        in_script = pending_script or bool(scripts)
        pending_script = False
        font = m.group("font")
        if font:
            inner = m.group("inner") if m.group("inner") is not None else m.group("one")
            if font in _WORDS_IN_TEXT or inner is None or not inner:
                continue
            key = "\\" + font + "{" + inner + "}"  # \mathrm{Var}, \operatorname{softmax} (an operator) and \mathbf{x} alike
        elif m.group("word"):
            key = "KL" if m.group("word").startswith("D") and "KL" in m.group("word") else m.group("word")
            if not re.fullmatch(_OPERATOR_WORDS, key):
                pending_script = False
                continue  # a word written in math (else, otherwise, count): no symbol
        else:
            key = m.group("cmd") or m.group("letter")
            if m.group("cmd") and (key[1:] not in _GREEK and key not in _spellings() or key == r"\frac"):
                continue  # structure: \frac, \left, \cdot, \in, \quad ...
        after = text[m.end():m.end() + 12]
        if key == "e" and re.match(r"\s*\^", after):
            key = "e^"  # e^{x}: the exponential
        elif key == "E" and re.match(r"\s*(?:_\s*(?:\{[^{}]*\}|\S)\s*)?(?:\\left\s*|\\big\w*\s*)?\[", after):
            key = "E["  # E[X], E_q[…]: the expectation
        applied = not in_script and bool(re.match(r"\s*(?:_\s*(?:\{[^{}]*\}|\\?[A-Za-z0-9]+)\s*)?(?:\^\s*(?:\{[^{}]*\}|\S)\s*)?"
                                r"(?:\\left\s*)?\(", after))
        here = m.start()
        scalar = any(a <= here < b for a, b in scalar_spans) or text.strip() == m.group(0)  # $N$ mentioned: no kind
        argument = _plain_argument(text, here, m.end(), arguments)
        found.append(_Use(key, line, applied=applied, sub=in_script, bold=bool(font in _BOLD if font else False),
                          scalar=scalar, argument=argument,
                          bound=any(a <= here < b for a, b in bound_spans) or here in bound_single,
                          random=any(a <= here < b for a, b in randoms),
                          doubled=key == r"\pi" and bool(re.search(r"(?<![\d.])2(?![\d.])", text[max(0, here - 16):here + 12]))
                          or key == "e" and bool(re.search(r"\\pi\s*(?:\\,)?\s*$", text[max(0, here - 8):here]))))
    return found


def _plain_argument(text: str, start: int, end: int, arguments: list) -> bool:
    """The name at text[start:end] is a whole argument of an application (between its bracket, a comma or a bar)."""
    if not any(a <= start < b for a, b in arguments):
        return False
    before = re.search(r"(?:\(|,|\||\\mid|\\vert|;)\s*$", text[max(0, start - 8):start])
    after = re.match(r"\s*(?:\)|,|\||\\mid|\\vert|;|\\right)", text[end:end + 8])
    return bool(before and after)


def _scalar_spans(text: str) -> list:
    """Where only a number is written: a fraction's denominator, an exponent, under a root (1/Z, e^{-N}, √D)."""
    spans = []
    for m in re.finditer(r"\\[dt]?frac\s*\{", text):
        numerator_end = _closing(text, m.end() - 1)
        if numerator_end + 1 < len(text) and text[numerator_end + 1:].lstrip().startswith("{"):
            start = text.index("{", numerator_end + 1)
            spans.append((start, _closing(text, start)))
    spans += [(m.end() - 1, _closing(text, m.end() - 1)) for m in re.finditer(r"\^\s*\{|\\sqrt\s*\{", text)]
    return spans


_PROSE_RUN = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{3,}\s+[A-Za-z]{3,}\s+[A-Za-z]{3,}(?![A-Za-z])")


def _closing(text: str, start: int) -> int:
    """The offset of the bracket closing the one at ``start`` (or the end)."""
    end = closing(text, start, "([{", ")]}")
    return end if end >= 0 else len(text)


@functools.cache
def _spellings() -> dict:
    """LaTeX spelling -> symbol row id, for the rows with spellings."""
    found = {}
    for rid, r in table()["symbol"].items():
        for spelling in r.get("latex", ()):
            found.setdefault(re.sub(r"\s+", "", spelling), rid)
    return found


def _normal(key: str) -> str:
    return re.sub(r"\s+", "", key)


# ------------------------------------------------------------------------------------------------ the table

def build(state, statements, text: str, declared=()) -> list[Entry]:
    """The scope table of one document: ``state`` the DocumentState of runner.prepare, ``statements`` every
    statement (its math as read), ``text`` the document, ``declared`` the declarations (declarations.Declaration)."""
    first: dict = {}
    seen: dict = {}
    for s in statements:
        if s.lines[0] <= 0 or _PROSE_RUN.search(re.sub(r"\\(?:text\w*|mathrm|operatorname|mbox)\s*\{[^{}]*\}", " ", s.text)):
            continue  # math delimiters paired across prose: words, not symbols
        for use in uses(s.text, s.lines[0]):
            first.setdefault(use.key, use.line)
            seen.setdefault(use.key, []).append(use)
    context = _Context(state, text, declared)
    entries = [context.entry(key, seen[key], first[key]) for key in seen]
    entries = Scope(entries)
    entries.context = context  # the same reading of one statement's own uses (rests_on)
    for declaration in declared:  # a declaration of a name the math never writes is shown too
        if declaration.name and declaration.name not in seen and declaration.kind:
            entries.append(context.declared_entry(declaration))
    entries.sort(key=lambda e: (e.line, e.name))
    return entries


class Scope(list):
    """The scope table: its entries (a list), and the reading that made them (``context``)."""

    context = None


class _Context:
    def __init__(self, state, text: str, declared):
        self.state, self.text = state, text
        self.prose = words_only(text)
        self.declared = {_normal(d.name): d for d in declared if d.name}
        self.defined = {}
        entries = getattr(getattr(state, "in_force", None), "entries", None) or []
        for entry in entries:
            name = head(entry.left)
            if name and entry.line > 0 and entry.usable and not entry.conditional \
                    and not re.search(r"(?<![\\A-Za-z])" + re.escape(name) + r"(?![A-Za-z])", entry.right):
                applied = bool(re.match(r"\s*(?:\\[A-Za-z]+\s*\{[^{}]*\}|\\?[A-Za-z]+)\s*(?:_\s*(?:\{[^{}]*\}|\S))?\s*\(",
                                        entry.left))
                self.defined.setdefault((name, applied), (entry.line, entry.left + " = " + entry.right))
        self.laws = {}
        for line, name, law in getattr(state, "laws", None) or []:
            self.laws.setdefault(head(name), (line, law))
        types = getattr(state, "types", None)
        self.typed = dict(getattr(types, "declared_at", ()) or ())
        self.matrices = getattr(types, "matrices", frozenset()) or frozenset()
        self.vectors = getattr(types, "vectors", frozenset()) or frozenset()

    def declared_entry(self, d) -> Entry:
        return Entry(d.name, d.kind, "declared", d.line, f"declared: {d.text}", contradicted=d.contradicted)

    def entry(self, key: str, uses_: list, line: int) -> Entry:  # noqa: C901 -- one reading order, written once
        d = self.declared.get(_normal(key)) or self.declared.get(_plain(key))
        if d is not None and d.kind:
            return Entry(key, d.kind, "declared", d.line, f"declared: {d.text}", contradicted=d.contradicted)
        applied = any(u.applied for u in uses_)
        bare = any(not u.applied for u in uses_)
        plain = _plain(key)
        rid = _spellings().get(_normal(key))
        state = self.state
        names = getattr(state, "names", None)
        functions = getattr(names, "functions", {}) or {}
        variables = getattr(names, "variables", frozenset()) or frozenset()
        r = row(rid) if rid else None
        if r is not None and r.get("applied") and not applied:
            r = None  # P(A) is a probability; a bare P (P^2 = P) is read as any other capital
        if r is not None and r["provenance"] == "notation":
            return Entry(key, r["kind"] + ": " + r["meaning"], "notation", line, r["cue"])
        if r is not None and (r.get("applied") and applied or r.get("bare") and bare):
            return self._standard(key, r, uses_, line, functions, variables)
        # ---- the document's own names
        if plain in self.laws:
            at, law = self.laws[plain]
            return Entry(key, f"random variable ~ {law}", "defined", at, f"{plain} \\sim {law}")
        if (plain, applied) in self.defined or (plain, not applied) in self.defined and (
                not bare or not applied and _a_function(self.defined[(plain, True)][1])):  # dL/dθ of L(θ) = …: bare
            at, what = self.defined.get((plain, applied)) or self.defined[(plain, not applied)]
            kind = "function (the document's own)" if applied or (plain, True) in self.defined else "scalar (defined)"
            return Entry(key, kind, "defined", at, what)
        if applied and _density(state, key):
            return Entry(key, "density (by its use: a bar, a law of an expectation, a divergence's argument)",
                         "defined", line, "the document uses it as a law")
        if plain in self.matrices or plain in self.vectors:
            kind = "matrix" if plain in self.matrices else "vector"
            return Entry(key, kind, "defined", self.typed.get(plain, line) or line, "declared in words or R^{n×m}")
        if applied:
            if plain in (getattr(state, "described_functions", frozenset()) or frozenset()) | \
                    (getattr(state, "defined_functions", frozenset()) or frozenset()):
                return Entry(key, "function (the document's own)", "defined", line, "the prose describes it")
            if bare:
                return Entry(key, "scalar, also applied", "notation", line, row("letter")["cue"])
            r = row("function-letter")
            return Entry(key, "function of its arguments (never defined)", "unknown", line, r["cue"],
                         (f"{_word(key)}: any function",))
        if any(u.bound for u in uses_) or (all(u.sub for u in uses_) and re.fullmatch(r"[a-z]", key)):
            return Entry(key, "index", "notation", line, "a sum's index or a subscript")
        if any(u.bold for u in uses_) or key.startswith(("\\mathbf", "\\boldsymbol", "\\bm", "\\vec")):
            return Entry(key, "vector or matrix", "notation", line, row("bold")["cue"])
        if re.fullmatch(r"[A-Z]", key) and any(u.random for u in uses_):
            return Entry(key, "random variable (the argument of E, Var or P)", "notation", line,
                         "inside E[·], Var(·) or P(·): a random variable")
        if re.fullmatch(r"[A-Z]", key) and all(u.argument for u in uses_):
            return Entry(key, "an argument of a function or law (no arithmetic with it here)", "notation", line,
                         "p(w | X, y): what the law is a function of, whatever its kind")
        if re.fullmatch(r"[A-Z]", key) and all(u.scalar or u.sub or u.bound for u in uses_):
            return Entry(key, "scalar (written where only a number is: a denominator, an exponent, a root)", "notation",
                         line, "1/Z, e^{-N}, √D: only a number stands there")
        if re.fullmatch(r"[A-Z]", key) and not all(u.sub for u in uses_):
            r = row("capital-letter")
            return Entry(key, "scalar (a capital: a matrix, a set or a count in other documents)", "guess", line,
                         r["cue"], (f"{key}: matrix(n, n)", f"{key}: scalar"))
        return Entry(key, "scalar", "notation", line, row("letter")["cue"])

    def _standard(self, key: str, r: dict, uses_: list, line: int, functions: dict, variables) -> Entry:
        """A symbol with a row of its own (Γ, Φ, σ, e, π, H, ℒ, F, I): the document's words or its own use say which
        reading holds (defined), 2π is the constant (notation); otherwise the row's reading is a guess."""
        plain, declare = _plain(key), tuple(r.get("declare", ()))
        own = r.get("letter") is not None and r["letter"] in variables  # letters.py: the document's own letter
        if r.get("bare") and any(not u.applied for u in uses_):
            if own:
                return Entry(key, "scalar (the document's own variable)", "defined", line,
                             "the document sums over it, indexes by it, applies it or defines it in words")
            if (plain, False) in self.defined:
                return Entry(key, "scalar", "defined", *self.defined[(plain, False)])
            if r.get("letter") and all(u.doubled or u.applied for u in uses_):
                return Entry(key, "constant: " + r["meaning"], "notation", line, "2π, 2πe: the constants in every convention")
            return Entry(key, r["kind"] + ": " + r["meaning"], "guess", line, r["cue"], declare)
        if own:  # σ(·) where the prose never says sigmoid
            return Entry(key, f"function (any: not {r['meaning']}, which the prose never names)", "guess", line,
                         r["cue"], declare)
        if r.get("letter") or plain in functions or key in functions or names_one_of(r.get("words", ()), self.prose):
            return Entry(key, r["kind"] + ": " + r["meaning"], "defined", self._words_line(r, line),
                         "the prose names it: " + ", ".join(r.get("words", ())), declare)
        if (plain, True) in self.defined:
            return Entry(key, "function (the document's own)", "defined", *self.defined[(plain, True)])
        return Entry(key, f"function (any: the prose never names {r['meaning']})", "guess", line, r["cue"], declare)

    def _words_line(self, r: dict, default: int) -> int:
        for word in r.get("words", ()):
            m = re.search(re.escape(word), self.text, re.IGNORECASE)
            if m:
                return self.text.count("\n", 0, m.start()) + 1
        return default


def _plain(key: str) -> str:
    m = re.fullmatch(r"\\(?:" + _FONTS + r")\{(.*)\}", key)
    return m.group(1) if m else key


def head(left: str) -> str:
    """The name a definition's left side defines, as the table keys names (``f(x)`` -> f, ``\\hat\\sigma^2`` ->
    \\sigma, ``q_k`` -> q)."""
    left = re.sub(r"\\(?:" + _FONTS + r")\s*\{([^{}]*)\}", r"\1", left.strip())
    left = re.sub(r"\\(?:" + _FONTS + r")(?![A-Za-z])\s*", "", left)
    m = re.match(r"\s*(\\[A-Za-z]+|[A-Za-z])", left)
    return m.group(1) if m else ""


def _density(state, key: str) -> bool:
    from derivspec.scan.scope import is_density

    try:
        return is_density(_plain(key), getattr(state, "densities", None) or frozenset())
    except Exception:
        return False


def _word(key: str) -> str:
    """A name as a declaration writes it (``\\Gamma`` -> Gamma)."""
    return _plain(key).lstrip("\\")


# -------------------------------------------------------------------------------------- errors and questions

def lookup(entries: list, key: str) -> Entry | None:
    return next((e for e in entries if e.name == key), None)


def rests_on(record, entries: list) -> list[Entry]:
    """The scope entries a flagged record rests on: the names of its decisive step (or, for a coded rule, of its
    statement), and the reading the rule or row relied on (a random variable tied to its value)."""
    coded = bool(record.rule) and not record.rule.startswith("DS0")  # a coded rule's flag, not the judge's
    step = next((s for s in record.steps if (s.get("verdict") if isinstance(s, dict) else s.verdict) == "disagrees"),
                None) if not coded else None
    if step is not None:
        left = step.get("left", "") if isinstance(step, dict) else step.left
        right = step.get("right", "") if isinstance(step, dict) else step.right
        texts = [left, right]
    elif coded:  # a coded rule: the names its message uses (its variable, the values of its counterexample); the kind
        texts = [_message_math(record.reason)]  # it read is the document's words or notation (rules/reading.py)
    else:
        texts = [record.text]
    keys = list(dict.fromkeys(use.key for text in texts for use in uses(text or "", 0)))
    here = {}
    for use in uses(" ".join(texts) if step is not None else record.text, 0):  # as the statement writes each name
        here.setdefault(use.key, []).append(use)
    if coded:  # the names of the statement its message speaks of (not every letter the line writes)
        written = {u.key for u in uses(record.text, 0)}
        keys = [k for k in keys if k in written]
    found = []
    context = getattr(entries, "context", None)
    for key in keys:
        entry = lookup(entries, key)
        if entry is not None and context is not None and key in here:  # as this statement writes it (σ_1 bare, σ(t)
            entry = context.entry(key, here[key], entry.line)            # applied elsewhere)
        if entry is not None and not entry.kind.startswith("named function: the function or operator"):
            found.append(entry)
            if entry.provenance == "defined" and " = " in entry.cue and context is not None:  # P = A(AᵀA)⁻¹Aᵀ: what
                found += _definition_entries(entry, entries, context, keys)  # P is rests on what A is
    if coded:
        found += _borrowed_support(record)
    found += _numbers_for_arrays(record, found)
    code = record.rule_code or ""
    if code[:4] in ("DS10",):  # a dependence rule: X and x read as two variables
        found += _ties(record, entries, keys)
    if record.kind == "known" and record.claim:  # a recogniser that gave the letters their roles
        found += _roles(record, entries, keys)
    found += _function_of_the_tables(record, found)
    return found


def _function_of_the_tables(record, found: list) -> list[Entry]:
    """A flag by a row of a standard function of the tables (``fn.digamma.define``) read its letter as that
    function; where the scope calls the letter a function of the document's own (``\\psi(2) = 1/5`` in a document
    that never says digamma), that reading is a guess."""
    function = re.search(r"(?<![\w.])fn\.([a-z0-9_]+)\.", f"{record.claim or ''} {record.reason}")
    if function is None:
        return []
    name = function.group(1).replace("_", " ")
    guessed = []
    for r in table()["symbol"].values():
        if r.get("kind") != "named function" or name not in r.get("meaning", "").lower():
            continue
        for key in r.get("latex", ()):
            own = next((e for e in found if e.name == key and not e.kind.startswith("named function")), None)
            if own is not None:
                guessed.append(Entry(key, f"{r['meaning']} (the row read it so; the scope says {own.kind})", "guess",
                                     own.line, r["cue"], tuple(r.get("declare", ()))))
    return guessed


def _roles(record, entries: list, keys: list) -> list[Entry]:
    found = []
    for r in table()["role"].values():
        if not any(record.claim.startswith(c) for c in r.get("claims", ())):
            continue
        for key in keys:
            if _plain(key) in r["letters"]:
                declared = lookup(entries, key)
                if declared is not None and declared.provenance in ("declared", "defined"):
                    continue
                found.append(Entry(key, f"{r['meaning']} (by its letter)", "guess", record.lines[0],
                                   f"the letters {', '.join(sorted(r['letters']))} read as {r['id']}",
                                   (f"{_word(key)}: {r['id']}",)))
    return found


def _message_math(reason: str) -> str:
    """A rule's message as math to read names from ("X is bound on the left", "at n = 3, p = 5/2"): its words gone."""
    return re.sub(r"(?<![\\A-Za-z])[A-Za-z]{2,}\d*", " ", reason)


def _definition_entries(entry: Entry, entries: list, context, keys: list) -> list[Entry]:
    """The entries of the names a definition's value uses, as that value writes them (one level)."""
    value = entry.cue.split(" = ", 1)[1]
    written: dict = {}
    for use in uses(value, entry.line):
        written.setdefault(use.key, []).append(use)
    found = []
    for key, these in written.items():
        own = lookup(entries, key)
        if key not in keys and own is not None:
            found.append(context.entry(key, these, own.line))
    return found


def _numbers_for_arrays(record, found: list) -> list[Entry]:
    """A counterexample that gives a number to a name the scope calls a matrix or a vector (A = 2/3 for "a design
    matrix $A$"): the flag read it against the scope, a guess."""
    given = set(re.findall(r"(\\?[A-Za-z]+(?:_\{?\w+\}?)?)\s*=\s*-?\d", record.reason + " " + (record.evidence or "")))
    return [Entry(e.name, f"read as a number, though the scope says {e.kind}", "guess", e.line,
                  "a counterexample that puts a number where the document has an array", (f"{_word(e.name)}: scalar",))
            for e in found if e.name in given and e.kind.split(" ")[0] in ("matrix", "vector")]


def _borrowed_support(record) -> list[Entry]:
    """A normalisation rule that summed over a support the document states for the same letter elsewhere (x ∈ {0, 1}
    for one law, a count x for the next): the support is a guess."""
    m = re.search(r"over (\S+) ∈ (\{[^}]*\}|\S+) \(the support stated at line (\d+)\)", record.reason)
    if not m:
        return []
    return [Entry(f"support of {m.group(1)}", f"{m.group(2)}, stated at line {m.group(3)} (another statement: the "
                  "letter may name another law's outcome)", "guess", int(m.group(3)),
                  "a support written for the letter elsewhere in the document", (f"{m.group(1)} ~ Family(...)",))]


def _ties(record, entries: list, keys: list) -> list[Entry]:
    found = []
    for key in keys:
        if re.fullmatch(r"[A-Z]", key) and key.lower() in keys:
            declared = next((e for e in entries if e.provenance == "declared" and e.name == key
                             and "value" in e.kind), None)
            if declared is not None:
                found.append(declared)
            else:
                r = row("random-variable-value")
                found.append(Entry(f"{key} / {key.lower()}", "a random variable and its value, read as two "
                                   "unrelated variables", "guess", record.lines[0], r["cue"],
                                   (f"{key}: random variable, value {key.lower()}",)))
    return found


def judged(record, entries: list) -> None:
    """Set ``record.rests_on`` and ``record.severity`` of a flag: a question when it rests on a guess or an unknown,
    its reason worded as one, naming the declaration that answers it."""
    if record.verdict != "disagrees" or record.rests_on:  # judged already (a declared claim rests on its declaration)
        return
    resting = rests_on(record, entries)
    tied = [e for e in resting if e.provenance == "declared" and "value" in e.kind and _only_as_its_value(record, e.name)]
    if tied and (record.rule_code or "").startswith("DS10"):  # read X and x as two variables: the declaration says one
        record.verdict, record.rule, record.severity = "unchecked", None, None
        record.reason = (f"not flagged: {record.reason.split(' ', 1)[-1]} -- but {tied[0].name} is declared a random "
                         f"variable whose value is written in lowercase (line {tied[0].line}): one variable")
        return
    record.rests_on = [e.short() for e in resting]
    weak = [e for e in resting if e.provenance in WEAK]
    if not weak:
        record.severity = "error"
        return
    record.severity = "question"
    first = weak[0]
    answers = " or ".join(f"`{d}`" for d in first.declare[:2]) if first.declare else f"what {first.name} is"
    reading = first.kind
    record.reason = (f"if {first.name} is {_article(reading)}, this fails ({record.reason.rstrip('.')}) -- "
                     f"is that what the document means? declare {answers} to decide it")


def _only_as_its_value(record, name: str) -> bool:
    """The right side writes the random variable ``name`` only beside its value (X = x, p_X(x)): tied, no free X."""
    right = record.text.rsplit("=", 1)[-1]
    value = re.escape(name.lower())
    rest = re.sub(re.escape(name) + r"\s*=\s*" + value + r"(?![A-Za-z])|_\s*\{?\s*" + re.escape(name) + r"\s*\}?", " ", right)
    return re.search(r"(?<![\\A-Za-z])" + re.escape(name) + r"(?![A-Za-z])", rest) is None


def _a_function(definition: str) -> bool:
    """``L(\\theta) = (y - \\theta x)^2``: a definition whose right side uses its arguments (``P(A) = 1/2`` is a value)."""
    m = re.match(r"^[^()=]*\(([^()=]*)\)\s*=(.*)$", definition, re.DOTALL)
    return bool(m) and all(re.search(r"(?<![A-Za-z\\])" + re.escape(a.strip()) + r"(?![A-Za-z])", m.group(2))
                           for a in m.group(1).split(",") if a.strip())


def _article(reading: str) -> str:
    return reading if reading.split(" ")[0] in ("a", "an", "the", "read") else "read as " + reading
