r"""The document reader of ``derivspec scan``: a lecture's own notation read into SymPy.

The claim-level reader of ``derivspec check`` (:mod:`derivspec.core.latex`) reads a formula in
the names of one claim and refuses anything else; this reader extends its recursive descent
(its tokens, names and grammar are imported from there) to what a lecture writes: its own
symbols, functions it never defines, expectations, divergences, operators. The conventions are
listed below; the clause splitter is :mod:`derivspec.scan.clauses`.
"""

from __future__ import annotations

import re

import sympy
from sympy.core.function import AppliedUndef

from derivspec.core.errors import FormulaError
from derivspec.core.formula import add as checked_add
from derivspec.core.formula import check_text, exact_number
from derivspec.core.formula import multiply as checked_multiply
from derivspec.core.formula import power as checked_power
from derivspec.core.latex import (  # the grammar shared with the claim-level reader
    _ACCENTS, _ALIASES, _BARE_WORDS, _FONTS, _FUNCTIONS, _GREEK, _IGNORED, _LEFT_RIGHT_DELIMITERS, _STRUCTURAL,
    _UNICODE, _UNICODE_GREEK, _WORDS, NameKey, _delimited, _error, _format_name, _Parser, _Token,
)
from derivspec.scan.classify import events_unbraced
from derivspec.scan.macros import closing

# =============================================================================================
# Document mode: a lecture's own notation (``derivspec scan``)
# =============================================================================================
#
# The claim mode above reads a formula in the names of one claim and refuses anything else. A
# lecture uses its own symbols, functions it never defines (p(x), q(z|x), f_\theta(u)), and
# operators (\mathbb E[...], \mathrm{KL}(p\|q), \nabla, \int, \sum over symbolic ranges). The
# document mode reads all of that with the same recursive descent:
#
#   * every name is a symbol of the document (real), fonts kept: \mathbf{x} and x differ;
#   * a name applied to a bracket group is an *opaque* function application (a SymPy undefined
#     function whose name records the head and the separators: p(x|z) is ``p[|](x, z)``) when
#     the notation says so (a separator | ; , inside, a function-like letter p q f g D E ...,
#     a calligraphic or blackboard head); a product when the name also stands bare in the same
#     statement (p(1-p)); else *ambiguous*, read the way the caller asks and recorded;
#   * \mathbb E[...], \mathrm{Var}(...), \mathrm{KL}(p\|q), H(X), I(X;Y): opaque applications;
#   * \frac{d}{dx}, \frac{\partial}{\partial x}, \partial_x, \nabla_x applied to an expression
#     differentiate it (vectors read as scalars: a 1-D restriction), d/dx of an opaque term is
#     SymPy's unevaluated Derivative;
#   * \sum / \prod over a numeric range expand as in claim mode; over a symbolic range they are
#     SymPy Sum/Product objects whose indexed names are applications x(i) of the index;
#   * \int_a^b f\,dx is a SymPy Integral; arg max, max over a set, limits are refused (a side
#     that is not an expression);
#   * transposes (^\top, ^T on a bold or capital name), \|x\|, \langle a, b\rangle and the
#     identity matrix I read as their 1x1 values and set the ``matrix`` flag: an identity of
#     matrices holds for 1x1 matrices, so a difference found there is a real one, but a proof
#     there is not a proof for matrices;
#   * each decimal literal is a symbol of its own with its printed value and number of decimals
#     (``literals``): the caller substitutes the values, or asks how much the printed rounding
#     can move a side.
#
# Nothing is evaluated or guessed: what cannot be read raises FormulaError with the reason.

from dataclasses import dataclass as _dataclass, field as _field

_DOC_TEXT_COMMANDS = (r"text|textrm|textnormal|mathrm|operatorname\*?|textit|textbf|textsf|texttt|mathtt|mbox|hbox|"
                      r"mathsf|mathit|textup|mathop")
_DOC_TOKEN_RE = re.compile(
    r"(?P<num>\d+(?:\.\d+)?(?:[eE][-+]?\d+(?![\w.]))?|\.\d+)"  # 1e-7: scientific notation written as code is a number
    r"|(?P<text>\\(?:" + _DOC_TEXT_COMMANDS + r")\s*\{[^{}]*\})"
    r"|(?P<cmd>\\(?:[A-Za-z]+|.))"
    r"|(?P<word>(?:" + "|".join(_BARE_WORDS) + r")(?![A-Za-z]))|(?P<name>[A-Za-z])"
    r"|(?P<space>\s+)|(?P<sym>[-+*/^_()\[\]{}|~,‖=<>;:!'.?#@\"&])",
    re.DOTALL,
)
_DOC_FONTS = frozenset(_FONTS | {r"\mathcal", r"\mathbb", r"\mathscr", r"\mathfrak", r"\mathbbm", r"\pmb"})
_IGNORED_FONTS = frozenset({r"\mathit", r"\mathnormal"})
_DOC_IGNORED = frozenset(_IGNORED | {r"\displaystyle", r"\nonumber", r"\notag", r"\!", r"\>", r"\enspace",
                                      r"\thinspace", r"\medspace", r"\thickspace", r"\hfill", r"\relax",
                                      r"\checkmark", r"\phantom", r"\vphantom", r"\hphantom", r"\mathstrut",
                                      r"\strut", r"\middle"})
_DOC_MULTIPLY = frozenset({r"\odot", r"\circ", r"\bullet", r"\ast", r"\star"})
# Letters that lecture notes apply to arguments: p(x), q(z|x), f(x), D(x), L(theta), ...
FUNCTION_LETTERS = frozenset("p q f g h r s F G P Q D E L N Z H I J K U V W R S T C M".split()) | frozenset(
    {r"\ell", r"\pi", r"\phi", r"\varphi", r"\psi", r"\Phi", r"\Psi", r"\rho", r"\lambda", r"\mu", r"\kappa",
     r"\delta", r"\Gamma", r"\epsilon", r"\varepsilon", r"\eta", r"\omega", r"\xi", r"\tau", r"\nu", r"\chi"})
# Heads that take square brackets: E[X], Var[X], H[P]
_BRACKET_HEADS = frozenset({"E", "V", "H", "P", "Var", "Cov", "KL", "Pr", "Prob", "D"})
_REFUSED_WORDS = {
    "argmax": "an arg max is a set of maximisers, not an expression",
    "argmin": "an arg min is a set of minimisers, not an expression",
    "arg": "an arg max/min is a set, not an expression",
    "lim": "a limit is not read", "limsup": "a limit is not read", "liminf": "a limit is not read",
    "sup": "a supremum over a set is not read", "inf": "an infimum over a set is not read",
}
_INDICATOR_FONTS = frozenset({r"\mathbb", r"\mathbbm", r"\mathds", r"\mathbf", r"\boldsymbol", r"\bm"})
# environments that stand for one value inside a formula: piecewise definitions, matrices written out
_CASES = frozenset({"cases", "dcases", "rcases"})
_INEQUALITY = re.compile(r"[<>]|\\[lg]eq?(?![A-Za-z])")
_SUPERSCRIPT_MARKS = frozenset({r"\sharp", r"\flat", r"\natural", r"\perp", r"\bot", r"\circ", r"\T", r"\complement"})
_COMPARISON = re.compile(r"\s*(\\leq?|\\geq?|\\neq?|<|>|=)(?![A-Za-z])\s*")
_RELATIONS_OF = {"<": sympy.StrictLessThan, ">": sympy.StrictGreaterThan, r"\le": sympy.LessThan,
                 r"\leq": sympy.LessThan, r"\ge": sympy.GreaterThan, r"\geq": sympy.GreaterThan, "=": sympy.Eq,
                 r"\ne": sympy.Ne, r"\neq": sympy.Ne}


def _split_top_level(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` outside braces and nested environments (an escaped character, ``\\&`` or
    ``\\{``, is never one)."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        if depth == 0 and text.startswith(separator, i):
            parts.append(text[start:i])
            i += len(separator)
            start = i
            continue
        if text.startswith("\\begin", i) or text[i] == "{":
            depth += 1
        elif text.startswith("\\end", i) or text[i] == "}":
            depth -= 1
        elif text[i] == "\\" and i + 1 < len(text) and not text[i + 1].isalpha():
            i += 2
            continue
        i += 1
    parts.append(text[start:])
    return parts


VALUE_ENVIRONMENTS = frozenset({"cases", "dcases", "rcases", "matrix", "bmatrix", "pmatrix", "vmatrix", "Vmatrix",
                                 "Bmatrix", "smallmatrix", "array"})
# commands that shape the text rather than name anything: never read as a macro's opaque name
_STRUCTURE_COMMANDS = frozenset({r"\begin", r"\end", r"\left", r"\right", r"\big", r"\Big", r"\bigg", r"\Bigg",
                                 r"\label", r"\tag", r"\ref", r"\eqref", r"\cite", r"\item", r"\hline",
                                 r"\newline", r"\par", r"\url", r"\href", r"\includegraphics", r"\caption",
                                 r"\section", r"\subsection", r"\emph", r"\footnote", r"\over", r"\choose",
                                 r"\atop", r"\stackrel", r"\overset", r"\underset", r"\substack", r"\limits",
                                 r"\nolimits", r"\sum", r"\prod", r"\int", r"\iint", r"\oint", r"\lim", r"\sup",
                                 r"\inf", r"\max", r"\min", r"\arg", r"\det", r"\not", r"\hat", r"\bar",
                                 r"\tilde", r"\vec", r"\dot", r"\ddot", r"\color", r"\textcolor", r"\colorbox",
                                 r"\boxed", r"\underbrace", r"\overbrace", r"\cancel", r"\xrightarrow"})
_RELATION_COMMANDS = frozenset({r"\le", r"\leq", r"\ge", r"\geq", r"\lt", r"\gt", r"\ne", r"\neq", r"\leqslant",
                                r"\geqslant", r"\approx", r"\sim", r"\in", r"\notin", r"\subset", r"\subseteq",
                                r"\propto", r"\equiv", r"\simeq"})
_PROSE = re.compile(r"^(?:where|for|and|or|if|with|s\.t\.|st|such that|i\.e\.|e\.g\.|since|so|as|when|otherwise|"
                    r"then|thus|hence|given|subject to|iff|all|each|every|any|some|per|by|using|at|in|on|of|to|is|"
                    r"are|the|a|an)\b", re.IGNORECASE)
UNITS = frozenset({"bits", "bit", "nats", "nat", "bans", "dB", "%"})
CONST_WORDS = frozenset({"const", "const.", "constant", "Const", "C", "cst", "c.", "const "})


@_dataclass
class DocumentNames:
    """The symbols of one document: the same LaTeX name is the same SymPy symbol in every
    statement of the file. ``latex`` keeps how each was first written."""

    symbols: dict = _field(default_factory=dict)
    latex: dict = _field(default_factory=dict)
    variables: frozenset = frozenset()  # of e, \pi, \sigma: letters the document uses as its own (scan/letters.py)
    functions: dict = _field(default_factory=dict)  # LaTeX head -> (arguments, value): a standard function the
    # document names (the Gamma function, ...; scope.standard_functions from the knowledge tables' cues)
    applied: frozenset = frozenset()  # heads the document applies to one name and never writes bare (applied_names)
    iterated: frozenset = frozenset()  # (mark, base, letter): x^k, x^{k+1} name iterates, not powers (iterated_names)
    operators: frozenset = frozenset()  # (mark, letter, kind): H_{log p}, J_f apply an operator (operator_names)
    identities: frozenset = frozenset()  # letters the document calls its structure's identity element (letters.py)
    value_sets: frozenset = frozenset()  # (set, letter): X: Ω → D, "a D-valued random variable X" (value_sets)

    def symbol(self, text: str) -> sympy.Symbol:
        found = self.symbols.get(text)
        if found is None:
            found = sympy.Symbol(text, real=True)
            self.symbols[text] = found
            self.latex[found] = text
        return found


@_dataclass
class DocumentReading:
    """One side read in document mode: ``expr`` with opaque applications and literal symbols,
    ``flags`` saying what the reading relied on, ``literals`` each decimal literal's symbol ->
    (exact value, decimals, in an exponent)."""

    expr: sympy.Expr
    flags: frozenset
    literals: dict
    names_used: frozenset = frozenset()  # every name the text mentions (before SymPy simplifies n(p/n) to p)

    def value(self) -> sympy.Expr:
        """The expression with every literal at its printed value."""
        if not self.literals:
            return self.expr
        return self.expr.xreplace({s: v[0] for s, v in self.literals.items()})


def _whole_domain(lower, variable) -> bool:
    r"""``\int_x f(x) dx``, ``\int_{\mathcal{X}}``, ``\int_{\mathbb{R}}``: the subscript names the
    variable or its whole space, not a lower bound."""
    if not isinstance(lower, sympy.Symbol):
        return False
    letter = re.sub(r"_.*$", "", variable.name)
    return lower == variable or lower.name in (r"\mathbb{R}", r"\mathcal{" + letter.upper() + "}")


# a result-like name (L, J, \ell, \mathcal L, an accented name): it may depend on what a derivative is by
IMPLICIT_NAME = re.compile(r"^(?:\\hat|\\tilde|\\bar|\\mathcal|L|J|\\ell|\\mathrm\{|l\b|\\sigma$|\\pi)")


_REAL_LINE = (r"\R", r"\reals", r"\Reals", r"\RR")  # macros courses define for ℝ (an integral's domain)


def is_linear_operator(expr) -> bool:
    """Expectations (\\mathbb E, E), sums, integrals: linear in their argument."""
    if isinstance(expr, (sympy.Sum, sympy.Integral)):
        return True
    if not is_opaque_function(expr) or isinstance(expr, sympy.Symbol):
        return False
    name = expr.func.__name__
    head = re.sub(r"[\[⟮].*$", "", name)
    return len(expr.args) == 1 and (head.startswith(r"\mathbb{E}") or head in ("E",) or head.startswith("E_")
                                    or head.startswith(r"\mathrm{E}") or head.startswith(r"\mathbf{E}"))


def _argument_only(operand: sympy.Expr, quantity: sympy.Symbol) -> bool:
    r"""``quantity`` occurs in ``operand`` only as an argument of applications (``\log p(x)``, ``f(x)^2``): a bare
    ∇ acts on it. A quantity standing alone (``\nabla \log f``, ``\nabla L``) may be the function itself -- a
    derivative in it (1/f) would be a guess."""
    applications = [a for a in operand.atoms(AppliedUndef) if quantity in a.free_symbols]
    return bool(applications) and quantity not in operand.xreplace(
        {a: sympy.Symbol("⟨application⟩") for a in applications}).free_symbols


def is_opaque_function(expr) -> bool:
    """Whether ``expr`` is an opaque application (an undefined SymPy function) or an opaque atom."""
    if isinstance(expr, sympy.Symbol):
        return expr.name.startswith("⟦")
    return isinstance(getattr(expr, "func", None), sympy.core.function.UndefinedFunction)


def rebuilt(e, args):
    """``e.func(*args)``, or ``e`` unchanged where SymPy refuses the new arguments."""
    try:
        return e.func(*args)
    except Exception:
        return e


def walked(walk, expr):
    """``walk(expr)``, or ``expr`` unchanged where the walk fails."""
    try:
        return walk(expr)
    except Exception:
        return expr


def application_name(head: str, separators: str = "", square: bool = False) -> str:
    r"""The name the reader gives an opaque application: its head, its separators in brackets where it has
    any, ``⟮⟯`` where it took square brackets (an expectation's): ``\mathbb{E}[|]⟮⟯`` for ``\mathbb{E}[X | Y]``."""
    return head + (f"[{separators}]" if separators else "") + ("⟮⟯" if square else "")


def application_parts(name: str) -> tuple[str, str, bool]:
    """An application's name split back into (head, separators, square brackets): the inverse of
    :func:`application_name`."""
    square = name.endswith("⟮⟯")
    if square:
        name = name[:-2]
    m = re.match(r"^(.*?)(?:\[([^\]]*)\])?$", name)
    return m.group(1), m.group(2) or "", square


def opaque_atoms(expr: sympy.Expr) -> set:
    """The opaque parts of ``expr``: undefined-function applications, opaque atoms, and the
    Sum/Product/Integral/Derivative objects whose value is not known."""
    found = set()
    for node in sympy.preorder_traversal(expr):
        if is_opaque_function(node) or isinstance(node, (sympy.Sum, sympy.Product, sympy.Integral, sympy.Derivative)):
            found.add(node)
    return found


def _doc_classify(tex: str, match: re.Match) -> _Token | None:
    kind, text, pos = match.lastgroup, match.group(), match.start()
    if kind == "space" or text == "~":
        return None
    if kind == "text":
        inner = text[text.index("{") + 1:-1].strip()
        if not inner:
            return None
        if re.fullmatch(r"\d+(?:\.\d+)?", inner):
            return _Token("num", inner, pos)
        if re.fullmatch(r"[A-Za-z]", inner):
            return _Token("name", inner, pos)
        if inner in _WORDS:
            return _Token("func", _WORDS[inner], pos)
        return _Token("word", inner, pos)
    if kind == "word":
        return _Token("func", _WORDS[text], pos)
    if kind == "sym" and text == "&":
        return None
    if kind != "cmd":
        return _Token(kind, text, pos)
    if text in _DOC_IGNORED or text[1:].isspace() or text == "\\\\":
        return None
    text = _ALIASES.get(text, text)
    if text in ("*", "/", "|", "‖", "(", ")", "[", "]"):
        return _Token("sym", text, pos)
    if text in _DOC_MULTIPLY:
        return _Token("sym", "*", pos)
    if text in _GREEK:
        return _Token("name", text, pos)
    if text in _FUNCTIONS:
        return _Token("func", text, pos)
    if text in _STRUCTURAL or text in (r"\left", r"\right"):
        return _Token("cmd", text, pos)
    if text in _ACCENTS:
        return _Token("accent", _ACCENTS[text], pos)
    if text in _DOC_FONTS:
        return _Token("font", text, pos)
    if text == "\\#":
        return _Token("sym", "#", pos)
    return _Token("cmd", text, pos)  # read (or refused) by the document parser


def _doc_tokenize(tex: str) -> list[_Token]:
    """As :func:`_tokenize`, with the document-mode token set (unknown commands pass through)."""
    tokens: list[_Token] = []
    lefts: list[int] = []
    for pending, token in _delimited(tex, _DOC_TOKEN_RE, _doc_classify):
        if pending is None:
            tokens.append(token)
            continue
        if token is None:
            raise _error(tex, len(tex), r"unbalanced '\left' / '\right'")
        delimiter = token.text
        if delimiter in (r"\langle", r"\rangle", r"\lfloor", r"\rfloor", r"\lceil", r"\rceil"):
            delimiter = {r"\langle": "⟨", r"\rangle": "⟩"}.get(delimiter, "(" if "l" in delimiter[1:3] else ")")
        if delimiter not in _LEFT_RIGHT_DELIMITERS | {"⟨", "⟩", "{", "}"}:
            raise _error(tex, token.pos, f"'{pending.text}' must be followed by a delimiter")
        if pending.text == r"\left":
            lefts.append(len(tokens))
            tokens.append(_Token("sym", "\\left" + delimiter, pending.pos))
            continue
        if not lefts:
            raise _error(tex, pending.pos, r"'\right' without a matching '\left'")
        opening = lefts.pop()
        left = tokens[opening].text[len("\\left"):]
        if left == delimiter and delimiter in ("|", "‖"):
            tokens.append(_Token("sym", "\\right" + delimiter, pending.pos))
        elif left == "⟨":
            tokens[opening] = _Token("cmd", r"\langle", tokens[opening].pos)
            tokens.append(_Token("cmd", r"\rangle", pending.pos))
        else:
            closer = {"(": ")", "[": "]", "{": ")", ".": ")", "|": ")", "‖": ")"}.get(left, ")")
            opener = {")": "(", "]": "["}.get(closer, "(")
            tokens[opening] = _Token("sym", opener if left != "{" else "(", tokens[opening].pos)
            tokens.append(_Token("sym", closer if left != "{" else ")", pending.pos))
    if lefts:
        raise _error(tex, len(tex), r"unbalanced '\left' / '\right'")
    tokens.append(_Token("end", "", len(tex)))
    return tokens


def _brace_end(text: str, start: int) -> int:
    """Index just after the group that opens at ``text[start] == '{'`` (or -1)."""
    end = closing(text, start, escapes="pairs")
    return end + 1 if end >= 0 else -1


_UNWRAP_ONE = re.compile(r"\\(?:boxed|cancel|bcancel|xcancel|mathop|smash|displaystyle|ensuremath|mathclap|mathrlap|mathllap)\s*(?=\{)")
_UNWRAP_SCRIPTED = re.compile(r"\\(?:underbrace|overbrace|underline|overline(?=\s*\{\s*\\))\s*(?=\{)")
_DROP_FIRST = re.compile(r"\\(?:textcolor|colorbox)\s*(?=\{)")
_COLOR = re.compile(r"\\color\s*\{[^{}]*\}")


# a name's power written before its subscript (\hat\sigma^2_{\text{MLE}}, x^2_i, \log\sigma^{2}_{i}) is TeX's x_i^2
_SCRIPT = r"(\{(?:[^{}]|\{[^{}]*\})*\}|[A-Za-z0-9]|\\[A-Za-z]+)"
_POWER_BEFORE_SUBSCRIPT = re.compile(r"((?:(?<![A-Za-z\\])|(?=\\[A-Za-z]))(?:\\(?:hat|bar|tilde|mathbf|boldsymbol|bm)\s*)*"
                                     r"(?:[A-Za-z]|\\[A-Za-z]+|\{(?:\\(?:mathbf|boldsymbol|bm)\s*)?\\?[A-Za-z]+\}))\s*\^\s*" + _SCRIPT
                                     + r"\s*_\s*" + _SCRIPT + r"(?!\s*[_^])")

# the hat over a power (\hat{\sigma^2}, \widehat{\sigma^2_n}): the estimate of sigma^2, which lectures also write
# \hat\sigma^2 -- read as that name (not \bar{x^2}: a bar over a power is the mean of the squares)
_HAT_OVER_POWER = re.compile(r"(\\(?:hat|widehat)\s*)\{\s*((?:\\(?:mathbf|boldsymbol|bm)\s*)?(?:[A-Za-z]|\\[A-Za-z]+)"
                             r"(?:\s*_\s*" + _SCRIPT + r")?)\s*\^\s*" + _SCRIPT + r"\s*\}")


_DECORATED_RELATION = re.compile(r"\s*\{\s*(=|<|>|\\(?:leq?|geq?|approx|propto|equiv)(?![A-Za-z]))\s*\}")


_DECORATED_OPERATOR = re.compile(r"\s*\{\s*(\\(?:arg\s*\\)?(?:min|max|inf|sup|lim)(?![A-Za-z])|"
                                 r"\\operatorname\*?\s*\{\s*arg\s*(?:min|max)\s*\})\s*\}")


_DECORATED_EXPECTATION = re.compile(r"\s*\{\s*(\\mathbb\s*\{\s*E\s*\}|\\mathbb\s*E|\\(?:mathrm|operatorname)\s*\{\s*E\s*\})\s*\}")


def unwrap_decorations(tex: str) -> str:
    r"""``\underbrace{X}_{note}`` -> ``{X}``, ``\overbrace{X}^{note}`` -> ``{X}``, ``\boxed{X}``,
    ``\cancel{X}``, ``\textcolor{c}{X}`` -> ``{X}``, ``\color{c}`` dropped; ``\underset{a}{X}`` and
    ``\overset{a}{X}`` -> ``{X}`` (a relation they decorate is read by :func:`split_relations`)."""
    tex = _COLOR.sub(" ", tex)
    tex = _POWER_BEFORE_SUBSCRIPT.sub(r"\1_\3^\2", tex)
    tex = _HAT_OVER_POWER.sub(r"\1{\2}^{\4}", tex)
    tex = _POWER_BEFORE_SUBSCRIPT.sub(r"\1_\3^\2", tex)  # \hat{\sigma^2}_{MLE}, now \hat{\sigma}^{2}_{MLE}
    for _ in range(20):
        m = _UNWRAP_SCRIPTED.search(tex)
        if not m:
            break
        end = _brace_end(tex, m.end())
        if end < 0:
            break
        inner = tex[m.end():end]
        rest = end
        while rest < len(tex) and tex[rest] == " ":
            rest += 1
        if rest < len(tex) and tex[rest] in "_^" and "brace" in m.group():
            k = rest + 1
            while k < len(tex) and tex[k] == " ":
                k += 1
            if k < len(tex) and tex[k] == "{":
                e2 = _brace_end(tex, k)
                rest = e2 if e2 > 0 else k
            elif k < len(tex):
                rest = k + 1 if tex[k] != "\\" else (re.match(r"\\[A-Za-z]+", tex[k:]).end() + k if re.match(r"\\[A-Za-z]+", tex[k:]) else k + 2)
        else:
            rest = end
        tex = tex[:m.start()] + inner + " " + tex[rest:]
    for _ in range(20):
        m = _UNWRAP_ONE.search(tex) or _DROP_FIRST.search(tex)
        if not m:
            break
        if _DROP_FIRST.match(tex, m.start()):
            end = _brace_end(tex, m.end())
            tex = tex[:m.start()] + tex[end:] if end > 0 else tex[:m.start()] + tex[m.end():]
        else:
            tex = tex[:m.start()] + tex[m.end():]
    for _ in range(20):
        m = re.search(r"\\(?:underset|overset|stackrel)\s*(?=\{)", tex)
        if not m:
            break
        end = _brace_end(tex, m.end())
        if end < 0:
            break
        operator = _DECORATED_OPERATOR.match(tex, end) or _DECORATED_EXPECTATION.match(tex, end)
        if operator and m.group().startswith("\\underset"):  # \underset{q}{\min} f -> \min_{q} f, \underset{q}{E} -> E_{q}
            tex = tex[:m.start()] + " " + operator.group(1) + "_" + tex[m.end():end] + " " + tex[operator.end():]
            continue
        decorated = _DECORATED_RELATION.match(tex, end)
        if decorated:  # a\overset{\text{def}}{=}b: the relation itself, bare (a definition's as :=)
            note = tex[m.end():end]
            relation = ":=" if decorated.group(1) == "=" and re.search(r"def|\\triangle|\\Delta", note) else decorated.group(1)
            tex = tex[:m.start()] + " " + relation + " " + tex[decorated.end():]
            continue
        tex = tex[:m.start()] + " " + tex[end:]
    return tex


_MATRIX_FUNCTIONS = frozenset(r"\mathrm{" + word + "}" for word in ("det", "tr", "Tr", "trace", "diag", "rank"))


class _DocumentParser(_Parser):
    """The reader in document mode (see the section comment above)."""

    def __init__(self, tex: str, names: DocumentNames, bare: frozenset = frozenset(), *, log_base=None,
                 ambiguous: str = "function", sigmoid: bool = True, sets: bool = False, matrices: bool = False,
                 typed: bool = False, arrays: bool = False):
        self.tex, self.names, self.known = tex, names, []
        self.arrays = arrays  # a matrix written out as an explicit ImmutableMatrix (else one opaque value)
        self.sets = sets
        self.typed = typed  # the typed reading: a limit as SymPy's Limit, an optimum as an OPTIMA head
        self.matrices = matrices  # names as matrices: products keep their order, ^T is a transpose
        self.tokens = _doc_tokenize(tex)
        self.index = 0
        self.abs_depth = self.norm_depth = 0
        self.bindings: dict = {}
        self.probe = None
        self.terms = 0
        self.bare = bare
        self.log_base = log_base
        self.ambiguous = ambiguous
        self.sigmoid = sigmoid
        self.flags: set = set()
        self.literals: dict = {}
        self.exponent_depth = 0
        self.arg_depth = 0
        self.used: set = set()
        self._check_doc_balance()

    def _check_doc_balance(self) -> None:
        stack = []
        pairs = {"(": ")", "[": "]", "{": "}", r"\left|": r"\right|", r"\left‖": r"\right‖"}
        for token in self.tokens:
            if token.kind != "sym":
                continue
            if token.text in pairs:
                stack.append(token)
            elif token.text in pairs.values():
                if not stack or pairs[stack[-1].text] != token.text:
                    raise self.error(token, f"unbalanced '{token.text}'")
                stack.pop()
        if stack:
            raise self.error(stack[-1], f"unbalanced '{stack[-1].text}'")

    # -- helpers -------------------------------------------------------------------------
    def expr(self) -> sympy.Expr:
        """A sum; with ``sets``, sums joined by ∩, ∪ and ∖ (``A \\cap B^c``), left to right, each an application
        of the reader's head ``⟦∩⟧``, ``⟦∪⟧`` or ``⟦∖⟧`` to its two sides."""
        value = super().expr()
        while self.sets and self.peek().kind == "cmd" and self.peek().text in SET_OPERATIONS:
            head = SET_OPERATIONS[self.next().text]
            value = sympy.Function(head)(value, super().expr())
        return value

    def starts_factor(self, token: _Token) -> bool:
        if token.kind == "word":
            return True
        if self.sets and token.kind == "cmd" and token.text in SET_OPERATIONS:
            return False
        if token.kind == "cmd" and token.text in (r"\rangle", r"\mid", r"\parallel"):
            return False
        if self.arg_depth and token.kind == "sym" and token.text in ("|", "‖"):
            return False
        return super().starts_factor(token)

    def starts_simple_factor(self, token: _Token) -> bool:
        return token.kind == "word" or super().starts_simple_factor(token)

    def in_exponent(self, read, *args):
        """``read(*args)`` read as an exponent, a bound or a limit's target: a name before a bracket there is
        not applied, a decimal is exact."""
        self.exponent_depth += 1
        try:
            return read(*args)
        finally:
            self.exponent_depth -= 1

    def group_end(self, start: int) -> int:
        """Index of the token closing the bracket opened at ``start``."""
        pairs = {"(": ")", "[": "]", "{": "}", r"\left|": r"\right|", r"\left‖": r"\right‖"}
        opener = self.tokens[start].text
        depth = 0
        for i in range(start, len(self.tokens)):
            t = self.tokens[i]
            if t.kind != "sym":
                continue
            if t.text in pairs:
                depth += 1
            elif t.text in pairs.values():
                depth -= 1
                if depth == 0:
                    return i
        raise self.error(self.tokens[start], f"unbalanced '{opener}'")

    def outermost(self, start: int, end: int):
        """The tokens strictly between ``start`` and ``end`` that no inner bracket ((, [, {) encloses."""
        depth = 0
        for t in self.tokens[start + 1:end]:
            if t.kind == "sym" and t.text in ("(", "[", "{"):
                depth += 1
            elif t.kind == "sym" and t.text in (")", "]", "}"):
                depth -= 1
            elif depth == 0:
                yield t

    def group_has_separator(self, start: int) -> bool:
        return any((t.kind == "sym" and t.text in (",", ";", "|", "‖", ":"))
                   or (t.kind == "cmd" and t.text in (r"\mid", r"\parallel", r"\sim", r"\in"))
                   for t in self.outermost(start, self.group_end(start)))

    def environment(self, token: _Token) -> sympy.Expr:
        """``\\begin{cases} … \\end{cases}``, ``\\begin{bmatrix} … \\end{bmatrix}``: one opaque value (a
        piecewise value, a matrix written out); a matrix sets the ``matrix`` flag, so no scalar reading
        of it proves or flags anything."""
        start = self.index
        name = self.environment_name(start + 1)
        if name is None or name.rstrip("*") not in VALUE_ENVIRONMENTS:
            raise self.error(token, f"'\\begin{{{name}}}' is not read in a formula" if name else "'\\begin' is not read in a formula")
        depth = 0
        for i in range(start, len(self.tokens)):
            t = self.tokens[i]
            if t.kind == "cmd" and t.text in (r"\begin", r"\end") and self.environment_name(i + 1) == name:
                depth += 1 if t.text == r"\begin" else -1
                if depth == 0:
                    end = i + 1
                    while end < len(self.tokens) and self.tokens[end].text != "}":
                        end += 1
                    text = self.text_between(start, end + 1)
                    self.index = end + 1
                    written = self.written_array(name.rstrip("*"), start, i)
                    if written is not None:
                        return written
                    if name.rstrip("*") not in _CASES:
                        self.flags.add("matrix")
                    return self.opaque_atom(text)
        raise self.error(token, f"'\\begin{{{name}}}' without its '\\end'")

    def written_array(self, name: str, begin: int, end: int) -> sympy.Expr | None:
        r"""The value of a matrix or cases environment whose entries are all read (its body, tokens ``begin`` to
        ``end``, split at ``\\`` and ``&``, each entry read as a side of its own): cases as SymPy's Piecewise, each
        row ``value & condition`` (``\text{if } x \ge 0``, ``\text{otherwise}``); a matrix as an explicit
        ImmutableMatrix where the caller reads arrays (``read_document(arrays=True)``), else None (one opaque
        value, as before). None too for a body whose separators are lost or an entry that is not read."""
        if name in ("array", "vmatrix", "Vmatrix") or (name not in _CASES and not self.arrays):
            return None  # an array's column spec, a determinant |…|: not a matrix written out
        body = self.tex[self.tokens[begin].pos:self.tokens[end].pos]
        body = body[body.index("}") + 1:] if "}" in body else ""
        rows = [r for r in _split_top_level(body, "\\\\") if r.strip()]
        if not rows or ("&" not in body and len(rows) == 1 and name in _CASES):
            return None
        cells = [_split_top_level(r, "&") for r in rows]
        try:
            if name in _CASES:
                pieces = []
                for cell in cells:
                    if len(cell) != 2:
                        return None
                    pieces.append((self.entry(cell[0]), self.condition(cell[1])))
                return sympy.Piecewise(*pieces)
            if len({len(c) for c in cells}) != 1:
                return None
            self.flags.add("matrix")
            return sympy.ImmutableMatrix([[self.entry(e) for e in row] for row in cells])
        except (FormulaError, TypeError, ValueError):
            return None

    def entry(self, text: str) -> sympy.Expr:
        """One entry of a matrix or a cases row, read with this side's names and settings."""
        if not text.strip():
            raise FormulaError("an empty entry")
        reading = read_document(text, self.names, self.bare, log_base=self.log_base, ambiguous=self.ambiguous,
                                sigmoid=self.sigmoid, matrices=self.matrices, arrays=self.arrays)
        self.flags |= reading.flags - {"opaque"}
        self.literals.update(reading.literals)  # decimals as written (0.14): the side's value gives their numbers
        return reading.expr

    def condition(self, text: str):
        r"""A cases row's condition: ``\text{otherwise}`` (or "else") is True; ``\text{if } a \le x < b`` a chain
        of comparisons, each side read as an entry; a condition in words ("$x$ even") is not read."""
        plain = re.sub(r"\\(?:text|mathrm|textrm|mbox|textit)\s*\{([^{}]*)\}", r" \1 ", text)
        plain = re.sub(r"\\(?:quad|qquad)(?![A-Za-z])|\\[,;:! ]|~", " ", plain).strip().rstrip(".,;").strip()
        plain = re.sub(r"^(?:if|for|when|where)(?![A-Za-z])", " ", plain).strip()
        if re.fullmatch(r"(?:otherwise|else|o\.w\.)", plain):
            return sympy.true
        if re.search(r"[A-Za-z]{2,}", re.sub(r"\\[A-Za-z]+", " ", plain)):
            raise FormulaError(f"a condition in words: {text.strip()}")
        parts = _COMPARISON.split(plain)
        if len(parts) < 3 or len(parts) % 2 == 0:
            raise FormulaError(f"a condition not read: {text.strip()}")
        values = [self.entry(part) for part in parts[::2]]
        made = [_RELATIONS_OF[op](a, b) for a, op, b in zip(values, parts[1::2], values[1:])]
        return sympy.And(*made)

    def environment_name(self, i: int) -> str | None:
        """The name in the braces at token ``i`` (``{bmatrix}``), or None."""
        if i >= len(self.tokens) or self.tokens[i].text != "{":
            return None
        name = ""
        for t in self.tokens[i + 1:i + 20]:
            if t.text == "}":
                return name or None
            name += t.text
        return None

    def enclosed(self, closer: str) -> sympy.Expr:
        """A bracket group; one with a top-level comma -- a tuple, a point, an interval, ``(2, 1, 0)``,
        ``[0, 1]`` -- is one opaque value of the document (equal only to itself)."""
        start = self.index
        opener = self.tokens[start]
        if closer in (")", "]") and opener.kind == "sym" and opener.text in ("(", "[") and self._top_level_comma(start):
            end = self.group_end(start)
            text = self.text_between(start, end + 1)
            self.index = end + 1
            return self.opaque_atom(text)
        return super().enclosed(closer)

    def _top_level_comma(self, start: int) -> bool:
        try:
            end = self.group_end(start)
        except FormulaError:
            return False
        return any(t.kind == "sym" and t.text == "," for t in self.outermost(start, end))

    def group_is_name(self, start: int, single: bool = False) -> bool:
        """Whether the bracket opened at ``start`` holds one name (x, x_t, \\mathbf{x}_0, \\theta); ``single``: one
        letter, not a run of them (BC)."""
        end = self.group_end(start)
        inner = [t for t in self.tokens[start + 1:end]]
        if not inner:
            return False
        kinds = {t.kind for t in inner}
        if not kinds <= {"name", "font", "accent", "sym", "num", "word"}:
            return False
        letters = [t for t in inner if t.kind in ("name", "word")]
        ops = [t for t in inner if t.kind == "sym" and t.text in ("+", "-", "*", "/", "(", ")", "^")]
        if single:  # x, x_t, x_{ij}: one letter and its subscript
            depth, letters = 0, []
            for before, t in zip([None] + inner, inner):
                subscript = before is not None and before.text == "_"
                depth = depth + 1 if (t.text == "{" and subscript) or (t.text == "{" and depth) else depth
                depth = depth - 1 if t.text == "}" and depth else depth
                if t.kind in ("name", "word") and not subscript and not depth:
                    letters.append(t)
            return len(letters) == 1 and not ops and inner[0].kind in ("name", "font", "accent", "word")
        return len(letters) >= 1 and not ops and inner[0].kind in ("name", "font", "accent", "word")

    def text_between(self, start: int, end: int) -> str:
        """The source text of tokens[start:end]."""
        first = self.tokens[start].pos
        last = self.tokens[end].pos if end < len(self.tokens) else len(self.tex)
        return " ".join(self.tex[first:last].split())

    def opaque_atom(self, text: str) -> sympy.Symbol:
        self.flags.add("opaque")
        return self.names.symbol("⟦" + text + "⟧")

    # -- names -----------------------------------------------------------------------------
    def name(self) -> NameKey:
        token = self.next()
        if token.kind == "name":
            return "", token.text, None
        if token.kind == "word":
            return "", r"\mathrm{" + token.text + "}", None
        mark = "" if token.text in _IGNORED_FONTS else token.text
        if token.kind == "font" and token.text in (r"\mathbf", r"\boldsymbol", r"\bm", r"\vec", r"\pmb", r"\symbf"):
            self.flags.add("vector")
        if self.peek().kind in ("name", "accent", "font", "word") and self.peek().text != "{":
            inner_mark, base, sub = self.name()
            return mark + inner_mark, base, sub
        opening = self.expect("{")
        if self.peek().kind not in ("name", "accent", "font", "word"):
            raise self.error(opening, f"expected a letter after '{token.text}{{'")
        inner_mark, base, sub = self.name()
        if self.peek().text == "_" and sub is None:
            self.next()
            sub = self.subscript_tokens()
        if self.peek().text == "'":
            while self.peek().text == "'":
                self.next()
                base += "'"
        self.expect("}")
        return mark + inner_mark, base, sub

    def subscript_tokens(self) -> tuple[str, ...]:
        token = self.peek()
        if token.kind == "word":
            return (self.next().text,)
        if token.kind == "cmd" and token.text not in (r"\frac", r"\sqrt"):
            return (self.next().text,)
        if token.kind == "sym" and token.text in ("*", "<", ">"):
            return (self.next().text,)
        parts = super().subscript_tokens()
        # a command followed by a letter keeps its space (E_{q(z \mid x)}, not q(z\midx)): the
        # subscript can be read again (the distribution of an expectation)
        return tuple(p + " " if re.fullmatch(r"\\[A-Za-z]+", p) and i + 1 < len(parts) and parts[i + 1][:1].isalpha()
                     else p for i, p in enumerate(parts))

    def decorations(self, base: str = "", accent: str = "") -> tuple[str, list]:
        """Superscripts that name rather than power: ^{(i)}, ^*, ^\\star, ^\\prime, primes, and ^0 on a name the
        document iterates or starts (w^0 = 0, \\theta^{0} beside \\theta^{k+1}: the starting iterate; not on e; N^0 in a
        formula that never sets N^0 is a power), and
        ^k, ^{k+1} on a name the document iterates (DocumentNames.iterated); transposes and inverses of
        vectors/matrices come back as operations to apply."""
        marks, operations = "", []
        letters = {letter for mark, name, letter in self.names.iterated if name == base and mark == accent} if base else ()
        while True:
            token = self.peek()
            if token.text == "'" and token.kind == "sym":
                self.next()
                marks += "'"
                continue
            if token.text != "^" or token.kind != "sym":
                return marks, operations
            nxt, after = self.peek(1), self.peek(2)
            if letters and not marks:
                end = self.group_end(self.index + 1) if nxt.text == "{" else self.index + 1
                inner = self.text_between(self.index + 2, end) if nxt.text == "{" else nxt.text
                found = _ITERATE_INDEX.fullmatch(inner.replace(" ", ""))
                if found and found.group(1) in letters:
                    for _ in range(end - self.index + 1):
                        self.next()
                    marks += "^{" + found.group(0) + "}"  # x^{k+1}: the next iterate, a name and not a power
                    continue
            if base and base != "e" and not marks and letters and (
                    (nxt.kind == "num" and nxt.text == "0")
                    or (nxt.text == "{" and after.kind == "num" and after.text == "0" and self.peek(3).text == "}")):
                for _ in range(2 if nxt.kind == "num" else 4):
                    self.next()
                marks += "^{0}"
                continue
            if nxt.text == "+" or (nxt.text == "{" and after.text == "+" and self.peek(3).text == "}"):
                for _ in range(2 if nxt.text == "+" else 4):  # A^+, x^{+}: a pseudo-inverse, a positive part -- a name
                    self.next()
                marks += "^+"
                continue
            if nxt.text in ("*",) or (nxt.kind == "cmd" and nxt.text in (r"\star", r"\prime", r"\dagger", r"\ast")):
                self.next(), self.next()
                marks += "^*" if nxt.text != r"\prime" else "'"
                continue
            word = nxt.text if nxt.kind == "word" else (
                after.text if nxt.text == "{" and after.kind == "word" and self.peek(3).text == "}" else None)
            if word is not None and len(word) >= 2 and word.isalpha():  # one letter is a name token (an upright T:
                for _ in range(2 if nxt.kind == "word" else 4):           # _UPRIGHT_T, before reading)
                    self.next()
                marks += "^{" + word + "}"  # \hat\beta^{\text{OLS}}, \theta^{\mathrm{MAP}}: a label of the name, not a power
                continue
            if nxt.kind == "cmd" and nxt.text in (r"\top", r"\intercal", r"\mathsf", r"\mathrm") and nxt.text in (r"\top", r"\intercal"):
                self.next(), self.next()
                operations.append("T")
                continue
            if nxt.text == "{" and after.kind == "cmd" and after.text in (r"\top", r"\intercal") and self.peek(3).text == "}":
                for _ in range(4):
                    self.next()
                operations.append("T")
                continue
            if nxt.text == "{" and after.text in ("*",) or (nxt.text == "{" and after.kind == "cmd" and after.text in (r"\star", r"\prime", r"\ast")) \
                    and self.peek(3).text == "}":
                for _ in range(4):
                    self.next()
                marks += "'" if after.text == r"\prime" else "^*"  # b^{\prime} is b^\prime, b'
                continue
            greek = after if nxt.text == "{" and self.peek(3).text == "}" else nxt
            if any(a in (accent or "") for a in _ESTIMATE_ACCENTS) and greek.kind == "name" and greek.text.startswith("\\") and greek.text != r"\top":
                for _ in range(4 if greek is after else 2):  # \hat\beta^{\lambda}: the estimate at λ (ridge), a label
                    self.next()
                marks += "^{" + greek.text + "}"
                continue
            if nxt.text == "{":  # V^{\pi,\gamma}: names separated by commas label the name (a policy, a discount)
                end = self.group_end(self.index + 1)
                inner = self.text_between(self.index + 2, end)
                if _LABEL_LIST.fullmatch(inner) or (base and base != "e" and _LABEL_WORD.fullmatch(inner)):
                    for _ in range(end - self.index + 1):
                        self.next()
                    marks += "^{" + ",".join(part.strip() for part in inner.split(",")) + "}"
                    continue
            if nxt.text == "{" and after.text == "(":
                # ^{(i)}: an index in parentheses names the i-th item
                end = self.group_end(self.index + 1)
                close = self.group_end(self.index + 2)
                if close == end - 1:
                    inner = self.text_between(self.index + 2, end)
                    for _ in range(end - self.index + 1):
                        self.next()
                    marks += "^{" + inner + "}"
                    continue
            if nxt.text == "(" :
                end = self.group_end(self.index + 1)
                inner = self.text_between(self.index + 1, end + 1)
                if len(inner) <= 8 and re.fullmatch(r"\(\s*[A-Za-z0-9+\-\s]+\s*\)", inner):
                    for _ in range(end - self.index + 1):
                        self.next()
                    marks += "^" + inner
                    continue
            return marks, operations

    def of_a_constant(self, sub, kind: str) -> bool:
        r"""Whether a letter the document uses as an operator on the function in its subscript
        (DocumentNames.operators) is applied to a number and is a Hessian, Jacobian or gradient (``kind``
        "derivative"): ``\text{H}_1`` is the Hessian of the constant 1, which is 0. Any other application is one
        opaque quantity, flagged ``operator:<name>``: no step is flagged on it as if it were an independent
        unknown (steps.check_step)."""
        if kind != "derivative" or not re.fullmatch(r"\{*\d+(?:\.\d+)?\}*", "".join(sub).replace(" ", "")):
            return False
        self.flags.add("operator of a constant")
        return True

    def transpose_like(self, key: NameKey) -> bool:
        """``^T`` on a bold or capital name is a transpose (else a power of T)."""
        accent, base, _ = key
        return any(f in accent for f in (r"\mathbf", r"\boldsymbol", r"\bm", r"\vec")) or (base.isalpha() and base.isupper()
                                                                                           and len(base) == 1)

    def resolve(self, key: NameKey, token: _Token) -> sympy.Expr:
        accent, base, sub = key
        if not accent and sub is None and base in self.bindings:
            return sympy.sympify(self.bindings[base])
        if not accent and sub is not None and _format_name(key) in self.bindings:  # x_1 bound by \sum_{x_1}
            return sympy.sympify(self.bindings[_format_name(key)])
        if sub is not None and self.bindings:
            item = self.bound_item(sub)
            if item is not None:  # x_i inside a sum over a symbolic range: the i-th item, an application of the index
                indices, marks = item
                return sympy.Function(_format_name((accent, base, None)) + marks)(*indices)
            sub = self.substitute_indices(sub, token)
        if sub is None and self.names.identities and _format_name((accent, base, None)) in self.names.identities:
            raise self.error(token, f"{_format_name((accent, base, None))} is the document's identity element (its words "
                                    "say so): the operation it is the identity of is not the numbers' product, and is "
                                    "not read")
        if sub is not None and self.names.operators:
            kind = next((k for m, b, k in self.names.operators if m == accent and b == base), None)
            if kind is not None:  # the operator applied: of a constant 0 (a derivative's), else one quantity, marked
                if self.of_a_constant(sub, kind):
                    return sympy.Integer(0)
                self.flags.add("operator:" + _format_name((accent, base, sub)))
        bold = any(f in accent for f in (r"\mathbf", r"\boldsymbol", r"\mathbb", r"\bm"))
        if base == "I" and (sub is None or len(sub) == 1) and accent.replace(r"\mathbf", "").replace(r"\mathbb", "") == "":
            explicit = bool(accent) or sub is not None
            previous = self.tokens[self.index - 2] if self.index >= 2 else None
            juxtaposed = previous is not None and (previous.kind in ("name", "num") or previous.text in (")", "}", "]"))
            if explicit or juxtaposed or (self.arg_depth and self.peek().text in (")", "]", ",")):
                self.flags.add("matrix")
                return sympy.Integer(1)
        if not accent and sub is None:  # named constants unless the document uses the letter itself
            if base == "e" and ("e" not in self.names.variables or self.peek().text == "^"):
                return sympy.E
            if base == r"\pi" and (r"\pi" not in self.names.variables or self.after_two()):
                return sympy.pi
        if accent == r"\mathrm" and sub is None and base == "e":
            return sympy.E
        text = _format_name((accent, base, sub))
        if bold and len(base) == 1 and base.isupper() and not self.typed:  # the typed reading: by use (scope.arrays)
            self.flags.add("matrix")
        symbol = self.names.symbol(text)
        self.used.add(symbol)
        if self.matrices:  # a matrix: AB is not BA
            symbol = sympy.Symbol(text, commutative=False)
        return symbol

    # -- factors ---------------------------------------------------------------------------
    def indicator(self) -> sympy.Expr | None:
        """``\\mathbb{1}_{A}``, ``\\mathbf{1}``, ``\\mathbb{1}[x > 0]``: an indicator, or a vector of ones or zeros
        -- a name of its own (with its subscript or bracket), never the number 1."""
        token = self.peek()
        if not (token.kind == "font" and token.text in _INDICATOR_FONTS and self.peek(1).text == "{"
                and self.peek(2).kind == "num" and self.peek(2).text in ("0", "1") and self.peek(3).text == "}"):
            return None
        start = self.index
        for _ in range(4):
            self.next()
        condition = None
        if self.peek().text == "_" and self.peek().kind == "sym":
            self.next()
            if self.peek().text == "{":
                condition = (self.index + 1, self.group_end(self.index))
                self.index = condition[1] + 1
            else:
                self.next()
        elif self.peek().text in ("[", "(", r"\{") and token.text != r"\mathbf":
            condition = (self.index + 1, self.group_end(self.index))
            self.index = condition[1] + 1
        if token.text in (r"\mathbf", r"\boldsymbol", r"\bm"):
            self.flags.add("matrix")  # a vector of ones: read as a scalar it proves and flags nothing
        elif condition is not None and not (self.peek().text in ("(", "[") and self.peek().kind == "sym"):
            # \mathbb{1}_{z > 10}(Z_i): the indicator of a set applied to a value -- one name, as before
            event = self.indicator_of(self.text_between(*condition) if condition[1] > condition[0] else "")
            if event is not None:
                return event
        return self.opaque_atom(self.text_between(start, self.index))

    def indicator_of(self, condition: str):
        """``\\mathbb{1}(x > 0)``, ``\\mathbb{1}_{a \\le b}``: the indicator of a comparison of values it reads -- 1
        where it holds, else 0 (a piecewise value); None for an event of another kind (a set, words, ``X = x``)."""
        if not condition or not _INEQUALITY.search(condition) or re.search(r"\\in\b|\\notin|(?<![<>\\])=", condition):
            return None  # an event of equality (y_j = 1) or membership: a count's indicator, one name
        try:
            holds = self.condition(condition)
        except (FormulaError, TypeError, ValueError, KeyError):
            return None
        return sympy.Piecewise((1, holds), (0, True))

    def factor(self) -> sympy.Expr:
        token = self.peek()
        found = self.indicator()
        if found is not None:
            return self.power_scripts(found)
        if token.kind == "word":
            return self.word_factor()
        if token.kind == "cmd" and token.text not in _STRUCTURAL:
            value = self.command(token)
            return self.power_scripts(value)
        if token.kind == "sym" and token.text == "#" and self.peek(1).kind == "name":
            self.next()
            name = self.next()
            return self.power_scripts(self.names.symbol("#" + name.text))
        if token.kind in ("name", "accent", "font") and not self.font_number():
            key = self.name()
            script_sub = None
            marks, operations = self.decorations(key[1], key[0])
            if self.peek().text == "_" and self.peek().kind == "sym":
                self.next()
                script_sub = self.subscript_tokens()
            more_marks, more_ops = self.decorations(key[1] if not marks else "", key[0])  # x_i^0, x_i^{k+1}
            marks += more_marks
            operations += more_ops
            accent, base, sub = key
            if script_sub is not None:
                if sub is not None:
                    raise self.error(token, "double subscript")
                sub = script_sub
            key = (accent, base + marks, sub)
            if self.peek().text == "^" and self.peek(1).text in ("T",) and self.peek(1).kind == "name" \
                    and self.transpose_like(key) and self.peek(2).text not in ("_",):
                self.next(), self.next()
                operations.append("T")
            if self.peek().kind == "sym" and self.peek().text in ("(", "[") and (self.exponent_depth == 0 or (
                    _format_name(key) in self.names.applied and self.group_is_name(self.index, single=True))):
                # in an exponent too where the document only ever applies the name (e^{f(x)}, f never bare)
                how = self.application_kind(key, self.peek().text)
                if how == "function":
                    value = self.component(self.application(key))
                    return self.power_scripts(value)
                if how == "standard":  # a function the document names (the Gamma function): its definition
                    parameters, definition = self.names.functions[key[1]]
                    arguments = self.arguments(key[1])
                    if len(arguments) != len(parameters):
                        raise self.error(token, f"{key[1]} takes {len(parameters)} argument(s)")
                    return self.power_scripts(definition.xreplace(dict(zip(parameters, arguments))))
                if how == "sigmoid":
                    value = self.function(r"\sigmoid", token)
                    return self.power_scripts(value)
                if how == "sigmoid'":  # sigma'(z): the derivative of the logistic sigmoid at z
                    argument = self.arguments(r"\sigmoid")[0]
                    z = sympy.Dummy("z")
                    value = sympy.diff(1 / (1 + sympy.exp(-z)), z).subs(z, argument)
                    return self.power_scripts(value)
            value = self.resolve(key, token)
            if operations:
                self.flags.add("matrix")
                for op in operations:
                    if op == "T":
                        value = TRANSPOSED(value) if self.matrices else value  # as numbers: the 1x1 transpose
            return self.power_scripts(self.apply_factorials(value, self.count_factorials()), key)
        value = self.apply_factorials(self.atom(), self.count_factorials())  # 3!, (n - k)!
        if self.peek().text == "_" and self.peek().kind == "sym":
            # \|x\|_2, \|x\|_1: the norm's index
            if self.flags & {"norm"}:
                self.next()
                self.subscript_tokens()
            elif token.kind == "sym" and token.text in ("(", "[") and self._starts_a_factor(token):
                value = self.component(value)  # (X_S)_i: the i-th entry of a bracketed value
            else:
                raise self.error(token, "a subscript can only follow a name")
        return self.power_scripts(value)

    def _starts_a_factor(self, token: _Token) -> bool:
        r"""``token`` opens a value of its own: nothing before it, or an operator, a relation or an opening bracket
        (not a name or a script it may be the argument of: ``h^{-1}(\epsilon)_j``)."""
        at = next((i for i, t in enumerate(self.tokens) if t is token), 0)
        before = self.tokens[at - 1] if at > 0 else None
        transposed = at > 1 and before.text == "}" and self.tokens[at - 2].text in (r"\top", r"\intercal", "T")
        return before is None or transposed or (before.kind == "sym" and before.text in ("+", "-", "*", "/", "(", "[", "{",
                                                                                          "=", ",", "|"))

    def component(self, value) -> sympy.Expr:
        r"""``value`` followed by a subscript (``f(x; W)_j``, ``(X_S)_i``, ``h^{-1}(\epsilon)_j``): its entry at that
        index, an opaque ⟦component⟧ of the value and the index; ``value`` itself where no subscript follows."""
        if not (self.peek().text == "_" and self.peek().kind == "sym"):
            return value
        self.next()
        index = self.argument("'_'")
        self.flags.add("opaque")
        return COMPONENT(value, index)

    def argument(self, after: str) -> sympy.Expr:
        """A script's argument; TeX also takes one command with its own arguments there (``x^\\frac{1}{2}``)."""
        token = self.peek()
        if token.kind == "cmd" and token.text in (r"\frac", r"\sqrt"):
            return self.factor()
        return super().argument(after)

    def transposed(self, value) -> sympy.Expr:
        """``value`` transposed: a matrix written out, its transpose; a name read as a matrix, ⟦transpose⟧ of it;
        a number, itself (the 1x1 transpose)."""
        if isinstance(value, sympy.MatrixBase):
            return value.T
        return TRANSPOSED(value) if self.matrices else value

    def power_scripts(self, value, key: NameKey | None = None) -> sympy.Expr:
        while self.peek().text == "^" and self.peek().kind == "sym":
            nxt = self.peek(1)
            if key is None and nxt.kind == "name" and nxt.text == "T" and "T" not in self.bare \
                    and self.index > 0 and (self.tokens[self.index - 1].text in (")", "]")
                                            or isinstance(value, sympy.MatrixBase)):
                self.next(), self.next()
                self.flags.add("matrix")
                value = self.transposed(value)
                continue
            if nxt.kind == "cmd" and nxt.text in (r"\top", r"\intercal"):
                self.next(), self.next()
                self.flags.add("matrix")
                value = self.transposed(value)
                continue
            if nxt.text == "{" and self.peek(2).kind == "cmd" and self.peek(2).text in (r"\top", r"\intercal"):
                for _ in range(4):
                    self.next()
                self.flags.add("matrix")
                value = self.transposed(value)
                continue
            if nxt.kind == "cmd" and nxt.text in _SUPERSCRIPT_MARKS:  # (df)^\sharp, v^\perp, d^\T: an operation
                self.next(), self.next()                                 # the text marks, not a power
                self.flags.add("opaque")
                value = sympy.Function("⟦^" + nxt.text + "⟧")(value)
                continue
            self.next()
            exponent = self.in_exponent(self.argument, "'^'")
            if (key is None and exponent.is_number and exponent.is_negative and isinstance(value, sympy.Mul)
                    and sum(1 for f in value.args if not f.is_number) >= 2):
                self.flags.add("inverse of a product")  # (AB)^{-1}: B^{-1}A^{-1} for matrices, not A^{-1}B^{-1}
            value = checked_power(value, exponent)
            if self.peek().text == "_" and self.peek().kind == "sym" and "norm" in self.flags:
                self.next()
                self.subscript_tokens()
        return value

    def application_kind(self, key: NameKey, bracket: str) -> str:
        """function | product | sigmoid, for a name followed by a bracket."""
        if self.matrices:  # A(BC): a matrix times a bracket
            return "product"
        accent, base, sub = key
        head = _format_name(key)
        bare = head in self.bare
        if bracket == "(" and not accent and sub is None and base in self.names.functions and not bare:
            return "standard"
        if (bracket == "(" and base in (r"\sigma", r"\sigma'") and not accent and sub is None and self.sigmoid and not bare
                and r"\sigma" not in self.names.variables):
            if not self.group_has_separator(self.index):
                return "sigmoid" if base == r"\sigma" else "sigmoid'"
            return "function"
        word = base.startswith(r"\mathrm{")
        if word:
            return "function"
        if any(f in accent for f in (r"\mathcal", r"\mathbb", r"\mathscr", r"\mathfrak")):
            return "function"
        if bracket == "[":
            plain = base.strip("'").replace("^*", "")
            if plain in _BRACKET_HEADS and not bare:
                return "function"
            if bare:
                return "product"
            self.flags.add("ambiguous")
            return "function" if self.ambiguous == "function" else "product"
        if self.group_has_separator(self.index):
            return "function"
        if self.typed and not bare and head in self.names.applied and self.group_is_name(self.index, single=True):
            return "function"  # b(G), never b alone in the document: a function by use, whatever the letter
        plain = base.rstrip("'").replace("^*", "")
        parameterised = bool(sub and any(p in (r"\theta", r"\phi", r"\psi", r"\varphi", r"\omega", "w", r"\mathrm{data}",
                                               "data") for p in sub))
        if any(f in accent for f in (r"\mathbf", r"\boldsymbol", r"\bm", r"\vec")) and not parameterised:
            return "product"  # a vector or matrix times a bracket
        if bare:  # the typed reading: X(F) beside a bare X is read both ways whatever the letter (roles by use)
            if ((plain in FUNCTION_LETTERS and self.group_is_name(self.index))
                    or (self.typed and self.group_is_name(self.index, single=True))):  # X(F), not A(BC)
                self.flags.add("ambiguous")
                return "function" if self.ambiguous == "function" else "product"
            return "product"
        if plain in FUNCTION_LETTERS or "'" in base or "^*" in base or (sub and any(
                p in (r"\theta", r"\phi", r"\psi", r"\varphi", r"\omega", "w", r"\mathrm{data}", "data", r"\mathrm{model}",
                      "X", "Y", "Z", r"\mathbf") for p in sub)):
            return "function"
        self.flags.add("ambiguous")
        return "function" if self.ambiguous == "function" else "product"

    def application(self, key: NameKey) -> sympy.Expr:
        r"""``head(args)`` / ``head[args]``: an opaque application; the separators are part of its name. A matrix
        function (``\mathrm{tr}(AB)``, ``\operatorname{det}``, ``\tr``) marks the reading: its argument is a matrix,
        and read with commuting scalars tr(ABC) = tr(BAC) would be proved."""
        if key[1] in _MATRIX_FUNCTIONS:
            self.flags.add("matrix")
        opening = self.next()
        closer = ")" if opening.text == "(" else "]"
        end = self.group_end(self.index - 1)
        args, separators = [], ""
        saved = self.abs_depth, self.norm_depth
        self.abs_depth = self.norm_depth = 0
        self.arg_depth += 1
        try:
            while True:
                start = self.index
                if self.peek().text == closer and self.peek().kind == "sym":
                    break
                try:
                    arg = self.expr()
                    nxt = self.peek()
                    if not (nxt.kind == "end" or (nxt.kind == "sym" and nxt.text in (",", ";", "|", "‖", ":", closer))
                            or (nxt.kind == "cmd" and nxt.text in (r"\mid", r"\parallel"))):
                        raise self.error(nxt, "not an argument")
                except FormulaError:
                    self.index = start
                    depth = 0
                    while self.index < end:
                        t = self.peek()
                        if t.kind == "sym" and t.text in ("(", "[", "{", r"\left|", r"\left‖"):
                            depth += 1
                        elif t.kind == "sym" and t.text in (")", "]", "}", r"\right|", r"\right‖"):
                            depth -= 1
                        elif depth == 0 and ((t.kind == "sym" and t.text in (",", ";", "|", "‖", ":"))
                                             or (t.kind == "cmd" and t.text in (r"\mid", r"\parallel"))):
                            break
                        self.next()
                    arg = self.opaque_atom(self.text_between(start, self.index))
                args.append(arg)
                nxt = self.peek()
                if nxt.kind == "sym" and nxt.text in (",", ";", "|", "‖", ":"):
                    separators += nxt.text
                    self.next()
                    continue
                if nxt.kind == "cmd" and nxt.text in (r"\mid", r"\parallel"):
                    separators += {r"\mid": "|", r"\parallel": "‖"}[nxt.text]
                    self.next()
                    continue
                break
        finally:
            self.arg_depth -= 1
            self.abs_depth, self.norm_depth = saved
        self.expect(closer)
        self.flags.add("opaque")
        expectation = opening.text == "[" or (opening.text == "(" and _EXPECTATION_HEAD.match(_format_name(key)))
        if self.typed and expectation and self.peek().kind == "sym" and self.peek().text == "{":
            raise self.error(self.peek(), "a bracket followed by a braced group (E[p(z | x)]{log p(x, z)}): which is "
                                          "the law and which the body is not written")
        head = application_name(_format_name(key), separators, bool(expectation))
        if not args:
            return self.names.symbol("⟦" + head + "()⟧")
        derivative = self.prime_derivative(key, separators, opening.text, args)
        return self.indexed_family(key, derivative if derivative is not None else sympy.Function(head)(*args))

    def bound_item(self, sub) -> tuple[list, str] | None:
        """(the index values, the subscript with • for them) when ``sub`` uses an index a sum or product binds over a
        symbolic range (``x_i``, ``f_i`` under ``\\sum_{i=1}^n``), else None; the reading is marked indexed."""
        if not any(p in self.bindings and not isinstance(self.bindings[p], (int, str)) for p in sub):
            return None
        self.flags.add("indexed")
        return ([self.bindings[p] for p in sub if p in self.bindings],
                "_{" + "".join("•" if p in self.bindings else p for p in sub) + "}")

    def indexed_family(self, key: NameKey, value: sympy.Expr) -> sympy.Expr:
        """``f_i(x)`` under a sum or product over a symbolic range of i: the i-th function of a family,
        ``f_{•}(i, x)`` (as ``x_i`` is ``x_{•}(i)``), so that the sum binds the index in the function too."""
        accent, base, sub = key
        item = self.bound_item(sub) if sub is not None else None
        if item is None:
            return value
        indices, marks = item
        families = {_format_name((accent, b, sub)): _format_name((accent, b, None)) + marks  # f'_i: the family f'_•
                    for b in (base, base.rstrip("'"))}

        def member(e) -> sympy.Expr:
            head, _, separators = e.func.__name__.partition("[")
            return sympy.Function(families[head] + (_ and "[" + separators))(*indices, *e.args)

        return value.replace(lambda e: isinstance(e, AppliedUndef) and e.func.__name__.partition("[")[0] in families,
                             member)

    def after_two(self) -> bool:
        """The name just read follows the number 2 (2π: the constant even where π is a weight)."""
        return self.index >= 2 and self.tokens[self.index - 2].kind == "num" and self.tokens[self.index - 2].text == "2"

    def prime_derivative(self, key: NameKey, separators: str, opening: str, args: list):
        """``f'(t)`` is d f(t)/dt when the statement also applies ``f`` itself: f and f' of one
        variable written side by side are a function and its derivative (σ(t) and σ'(t))."""
        accent, base, sub = key
        order = len(base) - len(base.rstrip("'"))
        if not order or separators or opening != "(" or len(args) != 1 or not isinstance(args[0], sympy.Symbol):
            return None
        plain = base.rstrip("'")
        if not re.search(re.escape(plain) + r"(?:\s*_\s*(?:\{[^{}]*\}|\\?[A-Za-z0-9]+))?(?![A-Za-z'])\s*(?:\\left)?\(",
                         self.tex):  # f(t) or f_i(t) is applied too
            return None
        return sympy.Derivative(sympy.Function(_format_name((accent, plain, sub)))(args[0]), (args[0], order))

    def word_factor(self) -> sympy.Expr:
        token = self.next()
        word = token.text
        plain = word.strip().rstrip(".")
        spelled = re.fullmatch(r"arg\s*(?:\\[,;:! ]|~|\s)*(max|min)", plain)
        if self.typed and spelled:  # \operatorname*{argmax}, \text{arg\,min}
            return self.optimum(token, "arg" + spelled.group(1))
        if plain in _REFUSED_WORDS or plain.lower() in _REFUSED_WORDS:
            raise self.error(token, _REFUSED_WORDS.get(plain, _REFUSED_WORDS.get(plain.lower(), "")))
        if plain in UNITS:
            raise self.error(token, f"a unit ('{plain}') inside a formula")
        if plain in CONST_WORDS or plain.lower() in ("const", "constant"):
            self.flags.add("const")
            return self.power_scripts(self.names.symbol("⟦const⟧"))
        if " " in plain or not re.fullmatch(r"[A-Za-z][A-Za-z0-9\-]*", plain):
            raise self.error(token, f"prose inside a formula ('{word}')")
        key = ("", r"\mathrm{" + plain + "}", None)
        if self.peek().text == "_" and self.peek().kind == "sym":
            self.next()
            key = ("", key[1], self.subscript_tokens())
        marks, _ = self.decorations()
        key = (key[0], key[1] + marks, key[2])
        if self.peek().kind == "sym" and self.peek().text in ("(", "["):
            return self.power_scripts(self.application(key))
        self.flags.add("opaque")
        if key[2] is not None and any(p in self.bindings for p in key[2]):
            # \textrm{character}_i under a sum over i: the i-th item, as for a letter (resolve)
            return self.power_scripts(self.resolve(key, token))
        return self.power_scripts(self.names.symbol(_format_name(key)))

    # -- commands --------------------------------------------------------------------------
    def command(self, token: _Token) -> sympy.Expr:
        text = token.text
        if text == r"\int" or text in (r"\iint", r"\oint"):
            return self.integral(token)
        if text in (r"\nabla", r"\partial"):
            return self.derivative_operator(token)
        if text in (r"\langle",):
            self.next()
            self.arg_depth += 1
            try:
                a = self.expr()
                if self.peek().text not in (",", "|") :
                    raise self.error(self.peek(), "expected ',' in an inner product")
                self.next()
                b = self.expr()
            finally:
                self.arg_depth -= 1
            if self.peek().text == "," and self.arg_depth == 0:  # \langle s_0, a_0, s_1, … \rangle: a tuple, one value
                start = self.index
                while self.index < len(self.tokens) and self.peek().text != r"\rangle":
                    self.next()
                if self.index >= len(self.tokens):
                    raise self.error(token, r"expected '\rangle'")
                self.next()
                self.flags.add("matrix")
                return self.opaque_atom(r"\langle " + self.text_between(self.tokens.index(token) + 1, self.index - 1)
                                        + r" \rangle")
            if self.peek().text != r"\rangle":
                raise self.error(self.peek(), r"expected '\rangle'")
            self.next()
            self.flags.add("matrix")
            return checked_multiply([a, b])
        if text == r"\binom":
            self.next()
            n = self.argument(r"'\binom'")
            k = self.argument(r"'\binom{...}'")
            return sympy.binomial(n, k)
        if text == r"\lim" and self.typed:
            return self.limit(token)
        if self.typed and (text in (r"\argmax", r"\argmin") or (text == r"\arg" and self.peek(1).text in (r"\max", r"\min"))
                           or (text in (r"\sup", r"\inf") and self.peek(1).text == "_")):
            self.next()
            kind = text[1:] if text != r"\arg" else "arg" + self.next().text[1:]
            return self.optimum(token, kind)
        if text in (r"\det", r"\tr", r"\Tr", r"\diag", r"\rank", r"\deg", r"\dim", r"\ker", r"\Pr", r"\hom", r"\arg",
                    r"\lim", r"\sup", r"\inf", r"\limsup", r"\liminf", r"\gcd", r"\mod", r"\bmod", r"\pmod", r"\sec",
                    r"\csc", r"\cot", r"\arcsin", r"\arccos", r"\arctan", r"\coth", r"\lg"):
            word = text[1:]
            if word in _REFUSED_WORDS:
                raise self.error(token, _REFUSED_WORDS[word])
            if word == "lg":  # log base 2 in computer science, base 10 in ISO 80000-2: neither is a safe guess
                raise self.error(token, "lg is the logarithm to base 2 or to base 10, depending on the author")
            self.next()
            key = ("", r"\mathrm{" + word + "}", None)
            if self.peek().kind == "sym" and self.peek().text in ("(", "["):
                return self.application(key)  # a matrix function marks the reading there
            if word in ("det", "tr", "Tr", "rank") and (self.peek().kind in ("name", "font", "accent")
                                                        or self.peek().kind == "sym" and self.peek().text == "{"):
                self.flags.update({"matrix", "opaque"})  # \det A, \operatorname{tr} \Sigma: applied to the name that follows
                return sympy.Function(_format_name(key))(self.factor())
            raise self.error(token, f"'{text}' without a bracketed argument")
        if text == r"\infty":
            self.next()
            self.flags.add("infinity")
            return sympy.oo
        if text in (r"\cdots", r"\ldots", r"\dots", r"\vdots", r"\ddots", r"\dotsb", r"\dotsc", r"\dotsm"):
            raise self.error(token, "an elided sum or product ('...') cannot be read")
        if text in (r"\hbar", r"\aleph", r"\emptyset", r"\varnothing"):
            raise self.error(token, f"'{text}' is not read")
        if text == r"\begin":
            return self.environment(token)
        if text in _RELATION_COMMANDS:  # P(X \le x): an event, read whole by the application that holds it
            raise self.error(token, f"the relation '{text}' inside a value")
        if re.fullmatch(r"\\(?:[A-Za-z]{2,}|[A-Z])", text) and text not in _STRUCTURE_COMMANDS:
            # a macro defined outside the file (a course preamble, a MathJax configuration; \R, \E, \N of one
            # capital too, which LaTeX does not define in math): an opaque name of the document's own, never
            # evidence for a flag (flag "macro:\\name", steps.check_step)
            self.next()
            self.flags.add("macro:" + text)
            key = ("", r"\mathrm{" + text[1:] + "}", None)
            if self.peek().text == "_" and self.peek().kind == "sym":  # \I_{ij}(\theta): the macro's name, indexed
                self.next()
                key = ("", key[1], tuple(self.subscript_tokens()))
            if self.peek().kind == "sym" and self.peek().text in ("(", "["):
                return self.application(key)
            if self.peek().text == "{" and self.peek().kind == "sym":
                start = self.index
                self.next()
                argument = self.expr()
                self.expect("}")
                return sympy.Function(_format_name(key))(argument) if argument is not None else self.opaque_atom(
                    self.text_between(start, self.index))
            return self.names.symbol(_format_name(key))
        raise self.error(token, f"'{text}' is not read in a formula")

    def optimum(self, token: _Token, kind: str) -> sympy.Expr:
        r"""``\arg\max_v F``, ``\min_{v} F``, ``\sup_{v \in S} F`` (the operator read, its subscript next): the
        reader's head ``⟦kind⟧`` applied to the objective and the variable (and the set, an opaque name, when the
        subscript writes one). An arg max's objective is the rest of the expression; a maximum's is the term that
        follows, and one followed by + or - is refused (where its objective ends is not written)."""
        if not (self.peek().kind == "sym" and self.peek().text == "_"):
            raise self.error(token, f"an {kind} without its variable")
        self.next()
        domain = None
        if self.peek().kind == "sym" and self.peek().text == "{":
            start = self.index
            end = self.group_end(start)
            self.next()
            if self.peek().kind not in ("name", "font", "accent"):
                raise self.error(token, f"an {kind} over several variables or a set is not read")
            key = self.name()
            if self.index < end and self.peek().kind == "cmd" and self.peek().text == r"\in":
                domain = self.names.symbol("⟦" + self.text_between(self.index + 1, end).strip() + "⟧")
            elif self.index != end:
                raise self.error(token, f"an {kind} over several variables or under a condition is not read")
            self.index = end + 1
        elif self.peek().kind in ("name", "font", "accent"):
            key = self.name()
        else:
            raise self.error(token, f"an {kind} without its variable")
        variable = self.names.symbol(_format_name(key))
        if kind.startswith("arg"):
            objective = self.expr()
        else:
            objective = self.term()
            if self.peek().kind == "sym" and self.peek().text in ("+", "-"):
                raise self.error(self.peek(), f"where the objective of a {kind} ends is not written")
        self.flags.add("optimum")
        return OPTIMA[kind](objective, variable, *((domain,) if domain is not None else ()))

    def limit(self, token: _Token) -> sympy.Expr:
        r"""``\lim_{x \to a} f``: SymPy's unevaluated Limit of the term that follows (as a sum's summand), two-sided,
        or one-sided where the target is written ``a^+`` / ``a^-``; an indexed or unwritten variable is refused."""
        self.next()
        if not (self.peek().kind == "sym" and self.peek().text == "_"):
            raise self.error(token, "a limit without its variable")
        self.next()
        if not (self.peek().kind == "sym" and self.peek().text == "{"):
            raise self.error(token, "a limit's subscript is not read")
        start = self.index
        end = self.group_end(start)
        self.next()
        if self.peek().kind not in ("name", "font", "accent"):
            raise self.error(token, "a limit's variable is not read")
        key = self.name()
        if key[2] is not None or (self.peek().kind == "sym" and self.peek().text in ("_", "^")):
            raise self.error(token, "a limit of an indexed variable is not read")
        arrow = self.next()
        if arrow.text not in (r"\to", r"\rightarrow", r"\longrightarrow", r"\searrow", r"\nearrow"):
            raise self.error(arrow, "expected '\\to' in a limit's subscript")
        rest = self.text_between(self.index, end)
        side = re.fullmatch(r"(.*?)\^\s*\{?\s*([+-])\s*\}?\s*", rest, re.DOTALL)
        direction = side.group(2) if side else {r"\searrow": "+", r"\nearrow": "-"}.get(arrow.text, "+-")
        if side:
            target = read_document(side.group(1), self.names).expr
        else:
            target = self.in_exponent(self.expr)
            if self.index != end:
                raise self.error(self.peek(), "a limit's target is not read")
        self.index = end + 1
        variable = self.names.symbol(_format_name(key))
        if variable in target.free_symbols:
            raise self.error(token, "a limit whose target names its variable")
        body = self.term()
        self.flags.add("limit")
        if target.is_infinite:
            direction = "-" if target == sympy.oo else "+"
        return sympy.Limit(body, variable, target, direction)

    def integral(self, token: _Token) -> sympy.Expr:
        self.next()
        lower = upper = None
        for _ in range(2):
            if self.peek().text == "_" and self.peek().kind == "sym":
                self.next()
                if self.peek().text in _REAL_LINE or self.peek().text == "{" and (
                        self.peek(1).kind == "font" and self.peek(1).text == r"\mathbb" or self.peek(1).text in _REAL_LINE):
                    if self.peek().text in _REAL_LINE:  # \int_\R: over the real line (a course's macro for ℝ)
                        self.next()
                        lower = "space"
                        continue
                    # \int_{\mathbb R^2}: over a whole space
                    end = self.group_end(self.index)
                    self.index = end + 1
                    lower = "space"
                    continue
                lower = self.bound_argument()
            elif self.peek().text == "^" and self.peek().kind == "sym":
                self.next()
                upper = self.bound_argument()
        # the differential: d x / \mathrm{d} x at bracket depth 0
        depth, found = 0, None
        for i in range(self.index, len(self.tokens) - 1):
            t = self.tokens[i]
            if t.kind == "sym" and t.text in ("(", "[", "{", r"\left|", r"\left‖"):
                depth += 1
            elif t.kind == "sym" and t.text in (")", "]", "}", r"\right|", r"\right‖"):
                depth -= 1
                if depth < 0:
                    break
            elif depth == 0 and t.kind == "sym" and t.text in ("+", "-") and i > self.index and found is None:
                pass
            elif depth == 0 and t.kind == "name" and t.text == "d" and self.tokens[i + 1].kind in ("name", "font", "accent"):
                found = i
                break
        if found is None:
            raise self.error(token, "an integral without its differential (dx)")
        saved = self.tokens[found]
        self.tokens[found] = _Token("sym", "⟂", saved.pos)
        try:
            integrand = self.expr()
            self.expect("⟂")
        finally:
            self.tokens[found] = saved
        key = self.name()
        if self.peek().text == "_" and self.peek().kind == "sym":
            self.next()
            key = (key[0], key[1], self.subscript_tokens())
        variable = self.resolve(key, saved)
        self.flags.add("integral")
        if not isinstance(variable, sympy.Symbol):
            raise self.error(token, "the variable of integration is not a name")
        if token.text == r"\iint":  # \iint f\, dx\, dy: a second differential, both over their whole domain
            differential = self.peek().kind == "name" and self.peek().text == "d" and \
                self.peek(1).kind in ("name", "font", "accent")
            if not (lower in (None, "space") and upper is None) or not differential:
                raise self.error(token, "a double integral with bounds or without its second differential")
            second = self.next()
            other = self.resolve(self.name(), second)
            if not isinstance(other, sympy.Symbol) or other == variable:
                raise self.error(token, "the second variable of integration is not another name")
            self.flags.add("integral")
            return sympy.Integral(integrand, variable, other)
        if lower == "space" or (lower is None and upper is None) or (upper is None and _whole_domain(lower, variable)):
            return sympy.Integral(integrand, variable)
        if lower is None or upper is None:
            raise self.error(token, "an integral over a region or with one bound (its range is not represented)")
        return sympy.Integral(integrand, (variable, lower, upper))

    def bound_argument(self) -> sympy.Expr:
        token = self.peek()
        if token.kind == "cmd" and token.text == r"\infty":
            self.next()
            return sympy.oo
        if token.kind == "sym" and token.text == "-" and self.peek(1).kind == "cmd" and self.peek(1).text == r"\infty":
            self.next(), self.next()
            return -sympy.oo
        if token.text == "{":
            self.next()
            value = self.expr()
            self.expect("}")
            return value
        return self.argument("a bound")

    def closes_argument(self, last: sympy.Expr, after: _Token) -> bool:
        """``\\log q(z|\\lambda) (f(z) - C)``, ``\\log q(z) \\log p(x|z)``: a bracket or a function after an application
        multiplies, as printed -- the application has its own brackets, so the log's argument ends with them."""
        return isinstance(last, AppliedUndef) and (after.kind == "sym" and after.text in ("(", "[") or after.kind == "func")

    def ends_argument_before(self, factor: sympy.Expr) -> bool:
        """``\\log p(x|z) p(z)``: the log of the product, or the log of p(x|z) times p(z) -- an ambiguous
        reading (the other reading, ``ambiguous="product"``, ends the argument before the application)."""
        if isinstance(factor, AppliedUndef) or factor.has(sympy.Derivative):  # p(z), or \frac{\partial}{\partial θ} …
            self.flags.add("ambiguous")
            return self.ambiguous == "product"
        return False

    def derivative_operator(self, token: _Token) -> sympy.Expr:
        """``\\nabla_x f``, ``\\partial_x f``: the derivative of the juxtaposed factors that follow."""
        self.next()
        if self.peek().text != "_" or self.peek().kind != "sym":
            if token.text != r"\nabla" or self.peek().kind == "end" or self.peek().text in ("\\cdot", "\\times", "^"):
                raise self.error(token, f"'{token.text}' without the variable it differentiates by")
            # ∇f(x): the gradient of the factor that follows, by a variable the text does not name. The
            # factor's one quantity is that variable (∇ f(x) = f'(x); ∇ 1 = 0); with several it is an
            # ambiguous node, ∇(…), which probability.py reads under each of them
            operand = self.factor()
            bound = {v for n in sympy.preorder_traversal(operand) if isinstance(n, (sympy.Sum, sympy.Integral))
                     for v in n.variables}  # ∫ … dx without bounds is over the whole line: x is bound
            quantities = [s for s in operand.free_symbols - bound if not s.name.startswith(("⟨", "⟦"))]
            if not quantities and operand.is_number:
                return sympy.Integer(0)
            if len(quantities) == 1 and _argument_only(operand, quantities[0]):  # ∇ log p(x) in x
                return self.differentiate(operand, quantities[0], token)
            self.flags.add("opaque")
            return sympy.Function(r"\nabla")(operand)
        self.next()
        if self.peek().text == "{":
            start = self.index
            end = self.group_end(start)
            self.next()
            variable = self.factor()
            if self.index != end:
                raise self.error(token, "differentiating by more than one variable")
            self.next()
        else:
            variable = self.factor()
        if self.peek().kind == "sym" and self.peek().text == "*":  # \nabla_x \cdot s(x): a divergence
            self.next()
        argument = self.term()
        return self.differentiate(argument, variable, token)

    def differentiate(self, argument, variable, token, order: int = 1) -> sympy.Expr:
        """d/dx of ``argument``. Symbols other than x are constants only when nothing suggests
        they depend on x: a result-like name (L, J, \\ell, \\mathcal L, an accented name) or an
        argument free of x makes the derivative opaque (SymPy's unevaluated Derivative)."""
        self.flags.add("derivative")
        if not isinstance(variable, sympy.Symbol):
            raise self.error(token, "a derivative by something that is not a name")
        others = [s for s in argument.free_symbols if s != variable and not s.name.startswith("⟨")]
        implicit = [s for s in others if IMPLICIT_NAME.match(s.name)]
        base = variable.name.rpartition("_{")[0]
        indexed = bool(base) and any(f.func.__name__ == base + "_{•}" for f in argument.atoms(AppliedUndef))
        if variable not in argument.free_symbols or implicit or indexed:  # ∂/∂z_n of a sum of z_i: not term by term
            return sympy.Derivative(sympy.Function("⟦d⟧")(argument, variable), variable, order)
        if argument.has(sympy.Product):  # d/dx ∏_i f_i(x): taken where the product is written out (finite_sums)
            return sympy.Derivative(argument, variable, order)
        operators = [a for a in argument.atoms(AppliedUndef)  # E_q[…], KL[‖], H[…]: of distributions, not numbers
                     if variable in a.free_symbols and ("⟮" in a.func.__name__ or "‖" in a.func.__name__)]
        if operators:
            return self._through_operators(argument, variable, token, order, operators)
        return sympy.diff(argument, variable, order)

    def _through_operators(self, argument, variable, token, order, operators) -> sympy.Expr:
        r"""d/dλ of an expression with operators on distributions. E is linear, not a function of a number:
        d/dλ E_{q(z)}[g] = E_{q(z)}[dg/dλ] when the law is written with its arguments and does not name λ; otherwise
        (a plain E, a law in λ, a divergence, a second derivative) the derivative stays whole, ⟦d⟧, for the rules of
        probability to read."""
        def law_free(operator) -> bool:
            if not is_linear_operator(operator):
                return False
            law = re.sub(r"⟮.*$", "", operator.func.__name__).partition("_")[2]
            return "(" in law and not re.search(r"(?<![\\A-Za-z])" + re.escape(variable.name) + r"(?![A-Za-z'])", law)

        if order != 1 or not all(law_free(e) for e in operators):
            return sympy.Derivative(sympy.Function("⟦d⟧")(argument, variable), variable, order)
        held = {e: sympy.Dummy() for e in operators}
        outer = argument.xreplace(held)
        derivative = sympy.diff(outer, variable) + sum(
            sympy.diff(outer, dummy) * e.func(self.differentiate(e.args[0], variable, token))
            for e, dummy in held.items() if dummy in outer.free_symbols)
        return derivative.xreplace({dummy: e for e, dummy in held.items()})

    def atom(self) -> sympy.Expr:
        token = self.peek()
        if token.kind == "num":
            return self.number()
        if token.text == r"\frac":
            derivative = self.fraction_derivative(token)
            if derivative is not None:
                return derivative
        if token.kind == "sym" and token.text in (r"\left‖", "‖"):
            self.flags.add("norm")
            self.flags.add("matrix")
        if token.kind == "cmd" and token.text not in _STRUCTURAL:
            return self.command(token)
        if token.kind == "word":
            return self.word_factor()
        return super().atom()

    def number(self) -> sympy.Expr:
        token = self.next()
        value = exact_number(token.text)  # 1.5e-4 (code's scientific notation): exact, as 1.5 \times 10^{-4} reads
        if "." in token.text and not re.search(r"[eE]", token.text) and self.exponent_depth == 0:
            decimals = len(token.text.split(".", 1)[1])
            symbol = sympy.Symbol(f"⟨{token.text}@{token.pos}⟩", positive=True)
            self.literals[symbol] = (value, decimals, False)
            return symbol
        return value

    def fraction_derivative(self, token: _Token):
        r"""``\frac{d}{dx} f``, ``\frac{\partial}{\partial x} f``, ``\frac{d^2}{dx^2} f``,
        ``\frac{df}{dx}`` (of an opaque f); None when the fraction is not a derivative."""
        if self.peek(1).text != "{":
            return None
        num_end = self.group_end(self.index + 1)
        first = self.tokens[self.index + 2]
        is_d = (first.kind == "name" and first.text == "d") or (first.kind == "cmd" and first.text == r"\partial")
        if not is_d or num_end + 1 >= len(self.tokens) or self.tokens[num_end + 1].text != "{":
            return None
        den_start = num_end + 1
        den_end = self.group_end(den_start)
        den_first = self.tokens[den_start + 1]
        if not ((den_first.kind == "name" and den_first.text == "d") or (den_first.kind == "cmd" and den_first.text == r"\partial")):
            return None
        # the numerator: d, d^2, d f, \partial, \partial^2 f
        self.next()  # \frac
        self.next()  # {
        self.next()  # d
        order = 1
        if self.peek().text == "^":
            self.next()
            order_value = self.argument("'^'")
            order = int(order_value) if getattr(order_value, "is_Integer", False) else 1
        numerator = None
        if self.index < num_end:
            numerator = self.expr()
        if self.index != num_end:
            raise self.error(token, "a derivative's numerator that is not read")
        self.next()  # }
        self.next()  # {
        self.next()  # d / \partial
        variable = self.factor()
        if order > 1 and isinstance(variable, sympy.Pow) and variable.exp == order:  # d^2/dx^2: x^2 is x twice
            variable = variable.base
        variables = [variable]  # \partial a \, \partial b: a mixed derivative, one variable after each d
        while self.index < den_end and (self.peek().text == r"\partial" or (
                self.peek().kind == "name" and self.peek().text == "d" and den_first.text == "d")):
            self.next()
            variables.append(self.factor())
        if self.index != den_end or (len(variables) > 1 and (
                len(variables) != order or not all(isinstance(v, sympy.Symbol) for v in variables))):
            raise self.error(token, "a derivative's denominator that is not read")
        self.next()  # }
        if len(set(variables)) > 1:
            return self.mixed_derivative(numerator, variables, token)
        if numerator is None:
            if self.peek().kind == "end" or (self.peek().kind == "sym" and self.peek().text in (")", "]", "}", "+", "-", "=")):
                raise self.error(token, "a derivative operator with nothing to differentiate")
            argument = self.term()
        else:
            argument = numerator
            if not opaque_atoms(numerator) and numerator.free_symbols and variable not in numerator.free_symbols:
                applied = self.named_function_at(numerator, variable)
                if applied is not None:  # dσ/da of the sigmoid, dΓ/dx of the Gamma function the text names
                    self.used.discard(numerator)  # a function's name, as in σ(a): no name of the side's own
                    return self.differentiate(applied, variable, token, order)
                # df/dx of a named function f: opaque
                self.flags.add("derivative")
                return sympy.Function("d/d" + str(variable) + (f"^{order}" if order > 1 else ""))(numerator)
        return self.differentiate(argument, variable, token, order)

    def mixed_derivative(self, numerator, variables: list, token: _Token):
        r"""``\frac{\partial^2 f}{\partial a \, \partial b}`` (after its fraction): the derivative in each variable in
        turn; of an opaque ``f``, one opaque derivative per variable, in the variables' order (the order of smooth
        differentiation does not matter)."""
        if numerator is None:
            if self.peek().kind == "end" or (self.peek().kind == "sym" and self.peek().text in (")", "]", "}", "+", "-", "=")):
                raise self.error(token, "a derivative operator with nothing to differentiate")
            argument = self.term()
        elif not opaque_atoms(numerator) and numerator.free_symbols and not set(variables) & numerator.free_symbols:
            self.flags.add("derivative")  # the second derivative of a named function: opaque
            for variable in sorted(variables, key=str):
                numerator = sympy.Function("d/d" + str(variable))(numerator)
            return numerator
        else:
            argument = numerator
        for variable in variables:
            argument = self.differentiate(argument, variable, token, 1)
        return argument

    def named_function_at(self, numerator, variable):
        r"""``f(v)`` for the numerator of ``\frac{df}{dv}`` when ``f`` is a function the document names -- a
        standard function of one argument ("the Gamma function"), or the logistic sigmoid where σ is read so --
        else None (an undefined f stays an opaque derivative: its derivative may be what the text defines)."""
        if not isinstance(numerator, sympy.Symbol):
            return None
        name = self.names.latex.get(numerator, numerator.name)
        if name in self.names.functions:
            parameters, definition = self.names.functions[name]
            return definition.xreplace({parameters[0]: variable}) if len(parameters) == 1 else None
        if name == r"\sigma" and self.sigmoid and r"\sigma" not in self.names.variables:
            return 1 / (1 + sympy.exp(-variable))
        return None

    def function(self, name: str, token: _Token) -> sympy.Expr:
        if name in (r"\max", r"\min") and self.peek().text == "_" and self.typed:
            return self.optimum(token, name[1:])
        if name in (r"\max", r"\min") and self.peek().text == "_":
            extreme = "maximum" if name == r"\max" else "minimum"
            raise self.error(token, f"'{name}_{{...}}' is a {extreme} over a set, not an expression")
        return super().function(name, token)

    def roman(self, token: _Token) -> sympy.Expr:  # \operatorname etc. arrive as word tokens
        raise self.error(token, f"'{token.text}' is not read")

    def big_operator(self, token: _Token) -> sympy.Expr:
        r"""\sum/\prod over a numeric range expand (the indexed names become x_1, x_2, ...); over
        a symbolic or unstated range they are SymPy Sum/Product objects of the index."""
        self.next()
        index, lower, upper, over, more = None, None, None, "", []
        if self.peek().text == "_" and self.peek().kind == "sym":
            self.next()
            if self.peek().text == "{":
                start = self.index
                end = self.group_end(start)
                over = self.text_between(start + 1, end)
                self.next()
                first = self.peek()
                if first.kind == "name" or first.kind in ("font", "accent"):
                    key = self.name()
                    index = key[1] if not key[0] else None
                    if index is not None and key[2] is None and self.peek().text == "_" and self.index < end:
                        self.next()  # \sum_{x_1}: the index is the name x_1, which the summand uses
                        index = _format_name(("", index, tuple(self.subscript_tokens())))
                    if index is not None and self.index < end:  # \sum_{b'}: the primed name b' is the index
                        marks, operations = self.decorations()
                        index = index + marks if marks and not operations and set(marks) == {"'"} else index
                    if index is not None and self.peek().text == ",":
                        more = self.shared_range_indices(end)  # \sum_{x,y=1}^{6}: both indices over 1..6
                    if self.peek().text == "=" and self.peek().kind == "sym":
                        self.next()
                        lower = self.in_exponent(self.expr)
                    rest = self.text_between(self.index, end) if self.index < end else ""
                    if lower is not None and _CONDITION.search(rest):  # \sum_{i=1, i \ne j}^n: a range with a condition
                        raise self.error(token, f"a {_BIG[token.text]} over a range with a condition "
                                                f"('{over}') is not read")
                    every_value = _over_value_sets(index, rest, self.names.value_sets)
                    if every_value is not None:
                        over = every_value  # \sum_{x \in D, y \in D'} with X: Ω → D, Y: Ω → D': \sum_{x, y}
                    elif index is not None and index_condition(index, rest, self.names.value_sets):
                        over = "where " + over  # \sum_{x: p(x) > 0}, \sum_{i \ne j}: the condition is kept
                self.index = end + 1
            elif self.peek().kind == "name":
                index = self.next().text
                over = index
            else:
                raise self.error(token, f"expected the index of '{token.text}'")
        if self.peek().text == "^" and self.peek().kind == "sym":
            self.next()
            upper = self.in_exponent(self.bound_argument)
        if index is None:
            index = over = self.implied_index()  # H(p) = -\sum p(x) \log p(x): the one argument the summand applies
        if index is None:
            raise self.error(token, f"'{token.text}' without an index")
        if more and (lower is None or upper is None):
            raise self.error(token, f"a {_BIG[token.text]} over several indices without their range is not read")
        for other in more:  # the first index outermost; each further one a sum of the same range inside it
            read = self.term
            self.term = (lambda index=other, read=read: self.nested_big_operator(token, index, lower, upper, read))
        try:
            return self.big_operator_over(token, index, lower, upper, over)
        finally:
            if more:
                del self.term  # the instance's own attribute: the class's term again

    def implied_index(self) -> str | None:
        r"""The index of a sum written without one (``\sum p(x)\log p(x)``): the one plain lower-case letter the
        summand's functions are applied to, if there is exactly one; the summand is read once to see, then again
        with the index bound."""
        from sympy.core.function import AppliedUndef

        start, flags, probe = self.index, set(self.flags), self.probe
        self.probe = []
        try:
            summand = self.term()
        except Exception:  # noqa: BLE001 -- a summand not read: no index from it
            return None
        finally:
            self.index, self.probe = start, probe
            self.flags.clear()
            self.flags.update(flags)
        letters = {a.name for f in summand.atoms(AppliedUndef) for a in f.args
                   if isinstance(a, sympy.Symbol) and len(a.name) == 1 and a.name.islower()}
        return letters.pop() if len(letters) == 1 else None

    def shared_range_indices(self, end: int) -> list:
        r"""The further plain indices of ``\sum_{x, y = 1}`` (``, y``), read up to the ``=`` of their shared range;
        none (and nothing read) when the list ends without one (``\sum_{i, j}``)."""
        start, found = self.index, []
        while self.peek().text == "," and self.index < end:
            self.next()
            if self.peek().kind != "name":
                break
            key = self.name()
            if key[0] or key[2] is not None:
                break
            found.append(key[1])
        if found and self.peek().text == "=" and self.peek().kind == "sym":
            return found
        self.index = start
        return []

    def nested_big_operator(self, token: _Token, index: str, lower, upper, read) -> sympy.Expr:
        """One further index of a sum over several indices sharing a range, summing what ``read`` reads."""
        term = self.term
        self.term = read
        try:
            return self.big_operator_over(token, index, lower, upper, "")
        finally:
            self.term = term

    def big_operator_over(self, token: _Token, index: str, lower, upper, over: str) -> sympy.Expr:
        """The sum or product of the next term over ``index`` from ``lower`` to ``upper``."""
        exact_bounds = (lower is not None and upper is not None and getattr(lower, "is_Integer", False)
                        and getattr(upper, "is_Integer", False))
        if exact_bounds and int(upper) - int(lower) < 64:
            start = self.index
            terms = []
            for k in range(int(lower), int(upper) + 1):
                self.index = start
                terms.append(_events_at(self.with_binding(index, k, self.term), index, k))
            if not terms:
                self.skip_term(index, int(lower), start)
                return sympy.Integer(0 if token.text == r"\sum" else 1)
            return checked_add(terms) if token.text == r"\sum" else checked_multiply(terms)
        symbol = sympy.Symbol(index.lstrip("\\"), integer=True, positive=True)
        summand = self.with_binding(index, symbol, self.term)
        if lower is None:
            lower = sympy.Integer(1)
        if upper is None:
            if over.startswith("where "):  # a set, not an interval: never a bound SymPy may sum up to
                upper = self.names.symbol("⟦" + over + "⟧")
            else:
                upper = self.names.symbol("⟦range " + (over or index) + "⟧")
        elif over.startswith("where "):
            raise self.error(token, f"a {_BIG[token.text]} over a range with a condition ('{over[6:]}') is not read")
        self.flags.add("sum")
        kind = sympy.Sum if token.text == r"\sum" else sympy.Product
        try:
            return kind(summand, (symbol, lower, upper))
        except (TypeError, ValueError) as error:
            raise self.error(token, f"cannot form the {token.text[1:]}: {error}") from None


def _events_at(term, index: str, value: int):
    r"""``term`` with the index's value written into the events it reads as one name (``P(X = x)`` at x = 2 is
    ``P(X = 2)``, not ``P(X = x)``): a sum over a numeric range expanded term by term."""
    pattern = re.compile(r"(?<![\\A-Za-z])" + re.escape(index) + r"(?![A-Za-z])")
    events = {e: sympy.Symbol(pattern.sub(str(value), e.name), **e.assumptions0) for e in term.free_symbols
              if e.name.startswith("⟦") and pattern.search(e.name)} if isinstance(term, sympy.Basic) else {}
    return term.xreplace(events) if events else term


# a word as a superscript labels the name (\hat\beta^{MLE}, \theta^{MAP}, w^{opt}, \beta^{ridge}): an acronym of two
# or more capitals, or three or more small letters -- never a product of letters as a power
_ESTIMATE_ACCENTS = frozenset({r"\hat", r"\widehat", r"\tilde", r"\widetilde", r"\check"})
_LABEL_WORD = re.compile(r"\s*(?:[A-Z]{2,}|[a-z]{3,})\s*")
_LABEL_LIST = re.compile(r"\s*(?:\\?[A-Za-z]+|\d+)(?:\s*,\s*(?:\\?[A-Za-z]+|\d+))+\s*")  # \pi,\gamma


_MULTI_INDEX = re.compile(r"^(?:_\s*\{?[A-Za-z0-9]+\}?)?\s*(?:,\s*(?:\\[A-Za-z]+|[A-Za-z])(?:_\s*\{?[A-Za-z0-9]+\}?)?\s*)*$")


_BIG = {r"\sum": "sum", r"\prod": "product"}
_CONDITION = re.compile(r"[:<>|]|\\(?:ne|neq|notin|in|le|leq|ge|geq|mid|subset|subseteq)(?![A-Za-z])")


def index_condition(index: str, rest: str, value_sets: frozenset = frozenset()) -> bool:
    r"""Whether ``rest`` (what follows the index under a sum or product: ``: p(x) > 0``, ``\ne j``,
    ``\in S``) restricts the index to part of its range. More indices (``\sum_{i, j}``), the
    variable's own sample space (``x \in \mathcal{X}``: the letter's capital) and a set the document states is
    the values of the random variable of that letter (``x \in D`` where ``X: \Omega \to D``) do not."""
    rest = rest.strip()
    if not rest or _MULTI_INDEX.match(rest):
        return False
    if re.fullmatch(r"\\in\s*\[\s*[A-Za-z]\s*\]", rest):  # k \in [K]: every index
        return False
    space = re.fullmatch(r"\\in\s*\\math(?:cal|bb|scr)\s*\{?\s*([A-Za-z])\s*\}?", rest)
    return not (space and space.group(1) == index.lstrip("\\")[:1].upper())


def _over_value_sets(index, rest: str, value_sets: frozenset) -> str | None:
    r"""``x, y`` where every index under a sum runs over the set the document states is the values of its random
    variable (``x \in D, y \in D'`` with ``X: \Omega \to D``, ``Y: \Omega \to D'``): the sum is over every value of
    each, written as ``\sum_{x, y}``; None otherwise (a set the document does not tie to the letter is a condition)."""
    if index is None or not value_sets:
        return None
    pairs = [(index, rest.strip())]
    if "," in rest:
        head, *others = _split_top_level(rest, ",")
        pairs = [(index, head.strip())] + [tuple(p.strip().split(" ", 1)) if " " in p.strip() else (p.strip(), "")
                                           for p in others]
    indices = []
    for name, where in pairs:
        stated = re.fullmatch(r"\\in\s*(.+)", where)
        if not (stated and re.fullmatch(r"[a-z]", name.lstrip("\\")) and
                (_set_key(stated.group(1)), name.lstrip("\\").upper()) in value_sets):
            return None
        indices.append(name)
    return ", ".join(indices)


def _set_key(written: str) -> str:
    """A set's name as written, without spaces or braces (``D^{\\prime}``, ``D'`` alike)."""
    return re.sub(r"[\s{}]", "", written).replace("^\\prime", "'")


_VALUED = (r"(?P<x>[A-Z])\s*:\s*\\Omega\s*\\(?:rightarrow|to|longrightarrow|mapsto)\s*(?P<s>[A-Z](?:\s*\^\s*\{?\s*\\prime\s*\}?|')?)(?![A-Za-z])",
           r"\$\s*(?P<s>[A-Z](?:\s*\^\s*\{?\s*\\prime\s*\}?|')?)\s*\$\s*-\s*valued\s+random\s+variables?\s+\$\s*(?P<x>[A-Z])\s*\$",
           r"\$\s*(?P<x>[A-Z])\s*\$\s+(?:is|be)\s+an?\s+\$\s*(?P<s>[A-Z](?:\s*\^\s*\{?\s*\\prime\s*\}?|')?)\s*\$\s*-\s*valued",
           r"\$\s*(?P<x>[A-Z])\s*\$\s+(?:takes|taking|with)\s+values\s+in\s+\$\s*(?P<s>[A-Z](?:\s*\^\s*\{?\s*\\prime\s*\}?|')?|\\math(?:cal|bb|scr)\s*\{\s*[A-Z]\s*\})\s*\$")


def value_sets(text: str) -> frozenset:
    r"""(set, letter) for each set the document states is the values of a random variable: ``X: \Omega \to D``, "a
    $D$-valued random variable $X$", "$X$ is a $D$-valued …", "$X$ takes values in $D$" -- a sum over ``x \in D`` is
    then over every value of X (:func:`index_condition`)."""
    return frozenset((_set_key(m.group("s")), m.group("x")) for pattern in _VALUED for m in re.finditer(pattern, text))


def where_condition(symbol) -> str | None:
    r"""The condition of a sum or product's index (``x: p(x) > 0``) when ``symbol`` is the bound the
    reader gives a conditioned index (``⟦where x: p(x) > 0⟧``), else None."""
    name = getattr(symbol, "name", "")
    return name[len("⟦where "):-1] if name.startswith("⟦where ") and name.endswith("⟧") else None


SET_OPERATIONS = {r"\cap": "⟦∩⟧", r"\cup": "⟦∪⟧", r"\setminus": "⟦∖⟧"}  # read only when asked (sets=True)
# KL(p ‖ q), KL[q ‖ p] written in plain letters: the divergence's name, not K times L (read when sets=True)
_PLAIN_KL = re.compile(r"(?<![\\A-Za-z{])KL(?=\s*(?:\\left|\\[bB]igg?l?)?\s*[(\[])")


def read_document(tex: str, names: DocumentNames, bare: frozenset = frozenset(), *, log_base=None,
                  ambiguous: str = "function", sigmoid: bool = True, sets: bool = False,
                  matrices: bool = False, typed: bool = False, arrays: bool = False) -> DocumentReading:
    """One side of a lecture statement in document mode (see the section comment). Raises
    FormulaError, with the reason, for what cannot be read. ``sets``: read ∩, ∪ and ∖ as operations on sets;
    ``typed``: read limits and optima as the typed tree's nodes."""
    check_text(tex, "formula")
    for char, latex in _UNICODE.items():
        tex = tex.replace(char, latex)
    for char, name in _UNICODE_GREEK.items():
        tex = tex.replace(char, "\\" + name + " ")
    tex = unwrap_decorations(tex)
    tex = _TWO_DOTS.sub(r"\1\\dots", tex)  # x_1 + x_2 + ..: an elision, as \dots
    tex = _BARE_INDICATOR.sub(r"\\mathbb{1}(", tex)  # 1(x > 0): the indicator of the event, as \mathbb{1}(x > 0)
    tex = _BRACED_NAME.sub(r"\1", tex)  # {\mathbb{E}}_{p}[…], {x}_i: a braced name takes its scripts as the name
    tex = _UPRIGHT_T.sub(r"^{\\top}", tex)  # d^\text{T}, X^{\mathrm{T}}: a transpose written upright, never a power
    tex = _BRACED_OPERATOR.sub(r"\1", tex)  # {\mathbb{E}}\left[ r(x) \right]: braces that only group the operator
    for _ in range(3):  # {{\prod_{k=1}^K}} q_k: braces around a big operator and its limits only
        tex = _BRACED_BIG_OPERATOR.sub(r"\1", tex)
    tex = events_unbraced(tex)  # P(\{X = k\}): the event X = k
    tex = _BRACED_WORD.sub(r"\\mathrm{\1}", tex)  # {\rm Var}(X) (its switch expanded to nothing): the word Var
    tex = _SCRIPTED_APPLICATION.sub(r"\1_{\3}\2", tex)  # \mathrm{softmax}(z)_i: the i-th value, softmax_i(z)
    for _ in range(3):  # \mathbf{\mathbf{x}} is \mathbf{x}: a font applied twice is the same name
        tex = _FONT_TWICE.sub(r"\\\1{\2}", tex)
    tex = _FONT_WORD.sub(r"\\mathrm{\1}", tex)  # \mathbb{KL}(p \| q), \mathsf{Var}: an operator's name, one word
    tex = _operators_and_sizes(tex)
    if sets:
        tex = _PLAIN_KL.sub(r"\\mathrm{KL}", tex)
    tex = re.sub(r"(?<![|])\|\|(?![|])|\\mid\s*\\mid(?![A-Za-z])", r"\\| ", tex)  # KL(p || q), KL(p \mid\mid q)
    tex = _DOUBLED_BARS.sub(r"\1\\| ", tex)  # D_{KL}(p\|\|q): a divergence's bar written twice
    parser = _DocumentParser(tex, names, bare, log_base=log_base, ambiguous=ambiguous, sigmoid=sigmoid, sets=sets,
                             matrices=matrices, typed=typed, arrays=arrays)
    try:
        value = parser.formula()
    except RecursionError:
        raise _error(tex, 0, "nested too deeply") from None
    if value.has(sympy.zoo, sympy.nan):
        raise _error(tex, 0, f"the formula is undefined ({value})")
    if _INCREMENT.search(tex):  # Δx: one name (an increment) or Δ times x -- the reading is not fixed
        parser.flags.add("increment")
    return DocumentReading(value, frozenset(parser.flags), dict(parser.literals), frozenset(parser.used))


# the reader's heads of an optimum (read_document(typed=True)): ⟦argmax⟧(objective, variable[, set])
OPTIMA = {kind: sympy.Function(f"⟦{kind}⟧") for kind in ("argmax", "argmin", "max", "min", "sup", "inf")}
COMPONENT = sympy.Function("⟦component⟧")  # f(x)_j: the j-th entry of a value (_DocumentParser.component)
TRANSPOSED = sympy.Function("⟦transpose⟧")  # A^T when names are read as matrices (read_document(matrices=True))
_UPRIGHT_T = re.compile(r"\^\s*(?:\{\s*\\(?:text|mathrm|mathsf|textsf)\s*\{\s*T\s*\}\s*\}|\\(?:text|mathrm|mathsf|textsf)\s*\{\s*T\s*\})")
_EXPECTATION_HEAD = re.compile(r"^\\(?:math(?:bb|rm|bf)|operatorname)\{E\}(?:_|$)")  # \mathbb{E}(X): one meaning, any bracket
_BRACED_OPERATOR = re.compile(r"(?<![\\A-Za-z_^}\]])\{\s*(\\math(?:bb|rm|bf)\s*\{\s*E\s*\}|\\operatorname\s*\{\s*E\s*\})\s*\}"
                              r"(?=\s*(?:\\(?:left|big|Big|bigg|Bigg)\s*)?[\[(])")
_FONT_TWICE = re.compile(r"\\(mathbf|boldsymbol|bm|mathrm|mathit|mathcal|mathsf)\s*\{\s*\\\1\s*\{([^{}]*)\}\s*\}")
_DOUBLED_BARS = re.compile(r"((?:KL|JS|JSD|D)\}?\s*(?:_\s*\{[^{}]*\}|_[A-Za-z])?\s*\}?\s*(?:\\left\s*)?[(\[]\s*[^()\[\]|\\]*?)"
                           r"\\\|\s*\\\|")
_TWO_DOTS = re.compile(r"([+,]\s*)\.\.(?![.\d])")
_BARE_INDICATOR = re.compile(r"(?<![\w.\\}^_])1\s*\((?=[^()]*(?:>|<|\\[lg]eq?(?![A-Za-z])|\\neq?(?![A-Za-z])|\\in(?![A-Za-z]))[^()]*\))")
_SCRIPTED_APPLICATION = re.compile(r"((?<![\\A-Za-z_^])(?:\\(?:mathrm|operatorname|text)\s*\{[A-Za-z]+\}|"
                                   r"\\(?:sigma|phi|varphi|psi|pi)(?![A-Za-z])|[A-Za-z]))"
                                   r"\s*(\((?:[^()]|\([^()]*\))*\))\s*_\s*\{?\s*([A-Za-z0-9])\s*\}?(?![A-Za-z0-9_{(])")
_BRACED_WORD = re.compile(r"(?<![\\A-Za-z_^}])\{\s*([A-Za-z]{2,})\s*\}(?=\s*(?:\\left\s*)?[(\[])")
_BRACED_BIG_OPERATOR = re.compile(r"(?<![\\A-Za-z_^])\{\s*(\\(?:sum|prod|int|oint)\s*(?:_\s*(?:\{[^{}]*\}|\\?[A-Za-z0-9]+))?"
                                  r"\s*(?:\^\s*(?:\{[^{}]*\}|\\?[A-Za-z0-9]+))?)\s*\}")
_BRACED_NAME = re.compile(r"(?<![\\A-Za-z_^}\]])\{\s*((?:\\[A-Za-z]+\s*(?:\{\s*[A-Za-z]\s*\})?)|[A-Za-z])\s*\}(?=\s*[_^])")
def _operators_and_sizes(tex: str) -> str:
    """``E\\large[ Z \\large]`` -> ``E[ Z ]`` (a size switch shapes the text, names nothing); ``Var(X | \\mu)``,
    ``Cov[a, b]`` -> ``\\mathrm{Var}(…)`` (the operator written bare, never V·a·r)."""
    return _BARE_OPERATOR.sub(r"\\mathrm{\1}", _SIZE_SWITCH.sub("", tex))


_SIZE_SWITCH = re.compile(r"\\(?:tiny|scriptsize|footnotesize|small|normalsize|large|Large|LARGE|huge|Huge)(?![A-Za-z])")
_BARE_OPERATOR = re.compile(r"(?<![\\A-Za-z{])(Var|Cov)(?=\s*(?:\\left\s*)?[(\[])")
_FONT_WORD = re.compile(r"\\(?:mathbb|mathsf|mathbf)\s*\{\s*([A-Z][A-Za-z]+)\s*\}")
_INCREMENT = re.compile(r"\\[Dd]elta\s*(?:[A-Za-z](?![A-Za-z])|\\[a-z]+(?![A-Za-z]))")


def _name_uses(tex: str) -> tuple[frozenset, frozenset]:
    """(names that stand bare somewhere in ``tex``, names written right before a bracket that holds one name)."""
    found, applied = set(), set()
    try:
        tokens = _doc_tokenize(unwrap_decorations(_operators_and_sizes(tex)))
    except FormulaError:
        return frozenset(), frozenset()
    parser = _DocumentParser.__new__(_DocumentParser)
    parser.tex, parser.tokens, parser.index = tex, tokens, 0
    parser.flags, parser.bindings = set(), {}
    for i, token in enumerate(tokens):
        if token.kind != "name" or (i > 0 and tokens[i - 1].kind in ("accent", "font")) or (
                i > 0 and tokens[i - 1].text in ("_", "^", "{") and i > 1 and tokens[i - 2].text in ("_", "^")):
            continue
        if i > 0 and tokens[i - 1].text in ("_", "^"):
            continue
        if i > 2 and tokens[i - 1].text in ("d", r"\partial") and tokens[i - 2].text == "{" \
                and tokens[i - 3].text == r"\frac":
            continue  # \frac{d\sigma}{da}: the function differentiated, not a bare name
        j = i + 1
        sub = None
        if tokens[j].text == "_":
            if tokens[j + 1].text == "{":
                depth, k = 0, j + 1
                parts = []
                while k < len(tokens):
                    if tokens[k].text == "{":
                        depth += 1
                    elif tokens[k].text == "}":
                        depth -= 1
                        if depth == 0:
                            break
                    elif tokens[k].kind != "font":
                        parts.append(tokens[k].text)
                    k += 1
                sub = tuple(parts)
                j = k + 1
            else:
                sub = (tokens[j + 1].text,)
                j += 2
        primes = ""
        while j < len(tokens) and tokens[j].text == "'":
            primes += "'"
            j += 1
        following = tokens[j] if j < len(tokens) else None
        if following is not None and following.kind == "sym" and following.text in ("(", "["):
            try:
                if following.text == "(" and parser.group_is_name(j, single=True):
                    applied.add(_format_name(("", token.text + primes, sub)))
            except FormulaError:  # an unbalanced bracket: the reading says so; no use noted here
                pass
            continue
        found.add(_format_name(("", token.text + primes, sub)))
    return frozenset(found), frozenset(applied)


def bare_names(tex: str) -> frozenset:
    """Names that stand bare somewhere in ``tex`` (not right before a bracket): with them a
    following bracket reads as a product (p - p^2 = p(1-p))."""
    return _name_uses(tex)[0]


def applied_names(texts) -> frozenset:
    """Names the formulas ``texts`` write before a bracket holding one name (b(G)) and never bare: functions by
    use, whatever their letter (the typed reading; a name also written bare keeps both readings)."""
    uses = [_name_uses(text) for text in texts]
    return frozenset().union(*(a for _, a in uses)) - frozenset().union(*(b for b, _ in uses))


# k, K+1, \psi-1: an iteration index -- any letter; the iterate is told by its form (s and s±1, no bare name beside)
_ITERATE_INDEX = re.compile(r"([A-Za-z]|\\[A-Za-z]+)((?:[+-]\d+)?)")
_ITERATE_BASE = (r"(?:(\\(?:mathbf|boldsymbol|bm|vec|hat|tilde|bar|mathit|mathnormal))\s*\{\s*(\\[A-Za-z]+|[A-Za-z])\s*\}"
                 r"|(\\[A-Za-z]+)|(?<![A-Za-z\\])([A-Za-z]))(?![A-Za-z])")
_ITERATE_NAME = re.compile(_ITERATE_BASE + r"(?:\s*_\s*(\{[^{}]*\}|\\?[A-Za-z0-9]))?(\s*\^\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?")
# a formula that opens by setting a name's starting value: w^0 = …, x_i^{0} := …
_STARTING_ITERATE = re.compile(r"\s*" + _ITERATE_BASE + r"(?:\s*_\s*(?:\{[^{}]*\}|\\?[A-Za-z0-9]))?\s*\^\s*(?:0|\{\s*0\s*\})\s*(?::=|=|\\leftarrow|\\gets)")


def iterated_names(texts) -> frozenset:
    r"""The names the formulas ``texts`` iterate, as (mark, base, index letter): a name written with a superscript s
    and s+1 (or s-1), s any letter (plain or in parentheses: x_i^k, x_i^{K+1}, \theta^{(t-1)}, v^{\psi+1}), where no
    formula writes it bare beside those forms (x^{k+1} = x \cdot x^k is an identity of powers, and so keeps them)."""
    forms, bare_beside, starts = {}, set(), set()
    for text in texts:
        try:
            text = unwrap_decorations(text)
        except Exception:
            continue
        start = _STARTING_ITERATE.match(text)
        if start:  # w^0 = …, \theta^{0} := …: the document sets a starting value (mark, base, "0")
            font, inner, command, letter = start.groups()[:4]
            starts.add(("" if font is None or font in _IGNORED_FONTS else font, inner or command or letter))
        here, bare = {}, set()
        for m in _ITERATE_NAME.finditer(text):
            font, inner, command, letter, sub, sup = m.groups()
            mark = "" if font is None or font in _IGNORED_FONTS else font
            key = (mark, inner or command or letter, re.sub(r"[{}\s]", "", sub) if sub else None)
            if key[1] == "e" and not mark:  # e^k, e^{k+1}: powers of e
                continue
            if sup is None:
                bare.add(key)
                continue
            index = re.sub(r"[{}\s^]", "", sup)
            index = index[1:-1] if index.startswith("(") and index.endswith(")") else index
            found = _ITERATE_INDEX.fullmatch(index)
            if found:
                here.setdefault(key, set()).add((found.group(1), int(found.group(2) or 0)))
        for key, seen in here.items():
            forms.setdefault(key, set()).update(seen)
            if key in bare:
                bare_beside.update((key[:2], letter) for letter, _ in seen)
    stepping = {(mark, base, letter) for (mark, base, _), seen in forms.items()
                for letter, offset in seen if offset == 0 and {(letter, 1), (letter, -1)} & seen}
    # x^T x (a transpose, a power) beside x only withdraws x's iterates where T itself steps (x^{T+1} somewhere)
    withdrawn = {(mark, base) for mark, base, letter in stepping if ((mark, base), letter) in bare_beside}
    iterated = {name for name in stepping if name[:2] not in withdrawn}
    return frozenset(iterated | {(mark, base, "0") for mark, base in starts})


# -- operators written as a letter with a subscript: \text{H}_{\log p(x)}, J_f, \mathbf{H}_f -----------------------
_OPERATOR_BASE = re.compile(r"(?:\\(mathbf|boldsymbol|bm)\s*\{\s*([A-Za-z])\s*\}|\\(?:mathrm|text|textrm|operatorname|"
                            r"mathit|mathsf|mathnormal)\s*\{\s*([A-Za-z])\s*\}|(?<![\\A-Za-z])([A-Za-z]))\s*_\s*")
# a subscript that is a function, not an index: a log, an integral, a derivative, or a density p(x | θ)
_FUNCTION_SUBSCRIPT = re.compile(r"\\(?:log|ln|exp|int|nabla|partial)(?![A-Za-z])|"
                                 r"(?:\\[A-Za-z]+|[A-Za-z])\s*\([^()]*(?:\||\\mid|\\vert)[^()]*\)")
_DERIVATIVE_WORDS = r"(?:hessian|jacobian|gradient|laplacian)s?\b"
_WINDOW = 200  # characters before a display in which its lead-in speaks (the Hessian of the log likelihood is …:)
_FOLLOWING_BRACKET = re.compile(r"\s*(?:\(|\[|\\left\b|\\[bB]igg?l?\b)")
_INLINE_MATH = re.compile(r"(?<!\$)\$(?!\$)([^$]{1,80})\$|\\\((.{1,80}?)\\\)")


def _subscript_at(text: str, start: int) -> tuple[str, int] | None:
    """The subscript that starts at ``start`` (after ``_``): a braced group or one token, and where it ends."""
    if start < len(text) and text[start] == "{":
        depth = 0
        for i in range(start, len(text)):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            if depth == 0:
                return text[start + 1:i], i + 1
        return None
    m = re.compile(r"\\[A-Za-z]+|[A-Za-z0-9]").match(text, start)
    return (m.group(0), m.end()) if m else None


def _operator_uses(text: str):
    """Each (mark, letter, subscript, start, end) where ``text`` writes a letter with a subscript and no bracket after."""
    for m in _OPERATOR_BASE.finditer(text):
        found = _subscript_at(text, m.end())
        if found is None or _FOLLOWING_BRACKET.match(text, found[1]):
            continue
        mark = "\\" + m.group(1) if m.group(1) else ""
        yield mark, m.group(2) or m.group(3) or m.group(4), found[0].strip(), m.start(), found[1]


def operator_names(text: str) -> frozenset:
    r"""Letters the document uses as operators applied to the function in their subscript, as (mark, letter, kind):
    ``\text{H}_{\log p(x \vert \theta)}`` (a subscript that is a log, an integral, a derivative or a density is a
    function, never an index), or ``\mathrm{H}_f`` that the words call a Hessian (``the Hessian $\mathrm{H}_f$``,
    ``$J_f$ is the Jacobian``) where ``f`` is a function the document applies (``f(x)``). ``kind`` is
    "derivative" where the document's words call the letter a Hessian, Jacobian, gradient or Laplacian (next to
    it, or in the lead-in of a display that writes it on a function), else "". The reader reads such a letter
    with a subscript as the operator applied (DocumentNames.operators): never an independent unknown."""
    applied = {m.group(1) for m in re.finditer(r"(?<![\\A-Za-z])([A-Za-z])\s*\(", text)}
    said = set()  # (mark, letter) the words call a derivative, next to an inline mention with a function subscript
    for m in _INLINE_MATH.finditer(text):
        inside = (m.group(1) or m.group(2)).strip()
        uses = [u for u in _operator_uses(inside) if u[3] == 0 and u[4] == len(inside)]
        if not uses:
            continue
        mark, letter, sub, _, _ = uses[0]
        before, after = text[max(0, m.start() - 40):m.start()], text[m.end():m.end() + 60]
        if not (re.search(_DERIVATIVE_WORDS + r"(?:\s+matri(?:x|ces))?\s*,?\s*$", before, re.IGNORECASE) or re.match(
                r"\s*,?\s*(?:(?:is|denotes?|be|for|as)\s+)?(?:the|a|an|its|our)\s+(?:[\w-]+\s+){0,2}?" + _DERIVATIVE_WORDS,
                after, re.IGNORECASE)):
            continue
        if _FUNCTION_SUBSCRIPT.search(sub) or (re.fullmatch(r"[A-Za-z]", sub) and sub in applied and sub != letter):
            said.add((mark, letter))
    on_functions, derivative = set(), set(said)
    for mark, letter, sub, start, _ in _operator_uses(text):
        if not _FUNCTION_SUBSCRIPT.search(sub):
            continue
        on_functions.add((mark, letter))
        if re.search(_DERIVATIVE_WORDS, text[max(0, start - _WINDOW):start], re.IGNORECASE):
            derivative.add((mark, letter))
    return frozenset((mark, letter, "derivative" if (mark, letter) in derivative else "")
                     for mark, letter in on_functions | said)
