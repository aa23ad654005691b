r"""A maximum-likelihood estimate checked against the likelihood the document itself wrote.

A lecture writes a likelihood in its own letters -- ``P(X \mid \theta) = \theta^{n_H}(1-\theta)^{n_T}``,
``L(\lambda) = \prod_{i=1}^n \lambda e^{-\lambda x_i}``, ``\ell(\lambda) = \sum_i (x_i\log\lambda - \lambda)``,
``-\log P(X \mid \theta) = \dots`` (the negative log-likelihood, minimised) -- and later the estimate,
``\hat\theta = \frac{n_H}{n_H + n_T}`` (also ``\hat\theta_{\mathrm{MLE}}``, ``\theta^*``, ``\theta_{\mathrm{ML}}``).

:func:`document_likelihoods` collects the likelihoods a document states where its prose calls them one (the word
likelihood, log-likelihood or NLL in the paragraph). :func:`check` judges an estimate of the same parameter letter in
a paragraph that speaks of maximum likelihood (MLE, maximising the likelihood) by the first-order condition of the
log-likelihood at the estimate (SymPy, after log Prod = Sum log and sums split into the data's sums) and the sign of
its second derivative for every value of the parameter -- the arg max check of :mod:`derivspec.scan.optimum` and
:mod:`derivspec.scan.steps`, with the objective taken from an earlier statement. When SymPy cannot decide: exact
instances of the data (positive integers). A flag needs the derivative at the estimate nonzero at every instance, a
smooth likelihood of one parameter, a stationary point SymPy finds (given as the correct form in the lecture's
letters) and no constraint, MAP, prior, unbiasedness or method of moments in the paragraph; a parameter whose optimum
sits on the boundary (a uniform's max x_i) has no stationary point and is never flagged. The Bernoulli form
a log(theta) + b log(1 - theta) ties the record to ``estimation.bernoulli.mle``; other likelihoods give a record
without a claim id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import sympy
from sympy.core.function import AppliedUndef

from derivspec.core import symbolic
from derivspec.scan import algebra, optimum
from derivspec.scan.steps import Context, Side, StepResult, read_side

BERNOULLI = "estimation.bernoulli.mle"
RECOGNISED = {  # what this module reads (the recognisers page, derivspec/app/docs.py)
    BERNOULLI: r"an estimate $\hat\theta = \ldots$ where the text says maximum likelihood, checked as the stationary "
               r"point of the likelihood the lecture wrote before it (in its own letters: $\theta^{n_H}(1-\theta)^{n_T}$, "
               r"its log or negative log); other likelihoods (Poisson, exponential, ...) are judged the same way "
               r"without a claim id",
}
_WORD = re.compile(r"likelihood|\bNLL\b", re.I)
_MLE = re.compile(r"maximum[- ]likelihood|\bMLE\b|\bML\s+estimat|maximi[sz]\w*\s+(?:the\s+|this\s+|our\s+)?"
                  r"(?:log[- ])?likelihood|minimi[sz]\w*\s+(?:the\s+)?negative\s+log[- ]likelihood", re.I)
_GATES = re.compile(r"unbiased|\bMAP\b|a\s+posteriori|\bprior\b|posterior|regulari[sz]|penali[sz]|"
                    r"method\s+of\s+moments|"
                    r"\\mathbb\s*\{?\s*1|\\mathbf\s*\{?\s*1\s*\}?\s*[_\\{(]|indicator|\bBeta\b|\\max|\\min", re.I)
_FONT = re.compile(r"\\(?:boldsymbol|mathbf|bm|pmb|symbf|vec)\s*(?=[\\{A-Za-z])")
_LOG = r"(?:\\log|\\ln)"
# L(θ), \mathcal L(θ; x), \ell(θ | x), P(X \mid θ), p(\mathcal D | θ), \mathrm{NLL}(θ); optionally under (-)log
_NAME = (r"(?P<name>L|\\ell|\\mathcal\s*\{?\s*L\s*\}?|\\mathscr\s*\{?\s*L\s*\}?|P|p|\\Pr|"
         r"\\(?:mathrm|text|operatorname)\{NLL\})")
_LEFT = re.compile(r"^\s*(?P<minus>-)?\s*(?P<log>" + _LOG + r")?\s*(?:\\left)?\s*(?P<open>\()?\s*" + _NAME +
                   r"\s*(?:_\{?[^{}()]*\}?)?\s*(?:\\left)?\(\s*(?P<args>[^()]*?)\s*(?:\\right)?\)\s*(?:\\right)?\s*"
                   r"(?(open)\))\s*$")
_BAR = re.compile(r"\\mid|\||;|\\vert")
_ESTIMATE = re.compile(r"^\s*(?:\\(?:hat|widehat)\s*\{?\s*(?P<a>\\[A-Za-z]+|[A-Za-z])\s*\}?"
                       r"(?:_\s*\{?\s*(?:\\(?:mathrm|text|rm|textrm)\s*\{?\s*)?(?:MLE|ML|n|N)\s*\}?\s*\}?)?"
                       r"|(?P<b>\\[A-Za-z]+|[A-Za-z])\s*\^\s*\{?\s*\*\s*\}?"
                       r"|(?P<c>\\[A-Za-z]+|[A-Za-z])\s*_\s*\{?\s*(?:\\(?:mathrm|text|rm|textrm)\s*\{?\s*)?(?:MLE|ML)"
                       r"\s*\}?\s*\}?)\s*$")
_FACTORIAL = re.compile(r"(?P<x>[A-Za-z](?:_\{[^{}]*\}|_[A-Za-z0-9])?)\s*!")
_BAR_NAME = re.compile(r"^\\(?:bar|overline)\{(?P<x>[A-Za-z])\}$")


_FORMS = {"likelihood": "the log of the likelihood maximised", "log": "the log-likelihood maximised",
          "nll": "the negative log-likelihood minimised"}


@dataclass(frozen=True)
class Likelihood:
    line: int
    left: str
    sides: tuple  # the right sides as written, first to last
    parameters: tuple  # the parameter letters as written (fonts dropped)
    form: str  # "likelihood" | "log" | "nll"


def _plain(text: str) -> str:
    return " ".join(_FONT.sub("", text).split())


def read_left(text: str) -> tuple[tuple, str] | None:
    """(parameters, form) of a likelihood's left side, or None."""
    m = _LEFT.match(_plain(text))
    if not m:
        return None
    name, args = m.group("name"), m.group("args")
    parts = _BAR.split(args)
    if name in ("P", "p", r"\Pr"):
        if len(parts) != 2:
            return None  # p(x) is a density, not a likelihood of a parameter
        given = parts[1]
    else:
        given = parts[0]
    parameters = tuple(re.sub(r"^\{\s*(.*?)\s*\}$", r"\1", p.strip()) for p in given.split(",") if p.strip())
    if not parameters or any(not re.fullmatch(r"\\[A-Za-z]+|[A-Za-z]|\\[A-Za-z]+\^\{?2\}?|[A-Za-z]\^\{?2\}?", p)
                             for p in parameters):
        return None
    nll = "NLL" in name
    log = bool(m.group("log")) or name == r"\ell"
    if m.group("minus") and (log or nll):
        return parameters, "nll"
    if m.group("minus"):
        return None
    return parameters, "nll" if nll else "log" if log else "likelihood"


def _top_level_sides(text: str) -> list[str]:
    """The sides of a chain of '=' outside braces and parentheses."""
    sides, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"{": 1, "(": 1, "[": 1, "}": -1, ")": -1, "]": -1}.get(char, 0)
        if char == "=" and depth == 0 and text[i - 1:i] not in ("<", ">", "!", "\\"):
            sides.append(text[start:i].strip())
            start = i + 1
    return sides + [text[start:].strip()]


def document_likelihoods(statements, clean) -> tuple:
    """The likelihoods the document states: ``clean`` reads a statement's text (statements.clean)."""
    found = []
    for s in statements:
        paragraph = s.before.split("\n\n")[-1][-400:] + " " + s.after.split("\n\n")[0][:200]
        if not _WORD.search(paragraph):
            continue
        try:
            text = clean(s)
        except Exception:
            continue
        sides = _top_level_sides(text)
        if len(sides) < 2:
            continue
        read = read_left(sides[0])
        if read is None:
            continue
        found.append(Likelihood(s.lines[0], sides[0], tuple(sides[1:]), read[0], read[1]))
    return tuple(found)


def _estimate_base(text: str) -> str | None:
    m = _ESTIMATE.match(_plain(text))
    return (m.group("a") or m.group("b") or m.group("c")) if m else None


# --- the objective -------------------------------------------------------------------------------------------------

def _split_sums(expr: sympy.Expr) -> sympy.Expr:
    """Sum(a + c b_i) = Sum(a) + c Sum(b_i); a constant summed over 1..n is n times it; log Prod = Sum log."""
    def split(s):
        if len(s.limits) != 1:
            return s
        i, a, b = s.limits[0]
        out = sympy.Integer(0)
        for term in sympy.Add.make_args(sympy.expand(s.function)):
            coefficient, rest = term.as_independent(i, as_Add=False)
            out += coefficient * (b - a + 1) if rest == 1 else coefficient * sympy.Sum(rest, (i, a, b))
        return out

    def log_product(e):
        if isinstance(e.args[0], sympy.Product):
            p = e.args[0]
            return sympy.Sum(sympy.expand_log(sympy.log(p.function), force=True), *p.limits)
        return e

    expr = expr.replace(lambda e: isinstance(e, sympy.log) and isinstance(e.args[0], sympy.Product), log_product)
    expr = sympy.expand_log(expr, force=True)
    for _ in range(3):
        expr = expr.replace(lambda e: isinstance(e, sympy.Sum), split)
    return expr


@dataclass
class Data:
    """The sums of the data as positive names (their LaTeX kept for the correct form)."""

    symbols: dict  # Sum -> Symbol
    shown: dict  # Symbol -> LaTeX

    def replace(self, expr: sympy.Expr) -> sympy.Expr:
        for s in [s for s in expr.atoms(sympy.Sum) if s not in self.symbols]:
            self.symbols[s] = sympy.Symbol(f"S{len(self.symbols) + 1}", positive=True)
            self.shown[self.symbols[s]] = sympy.latex(s).replace(r"x_{•}{\left(i \right)}", "x_i")
        return expr.xreplace(self.symbols)


def _shown(symbol, context: Context, data: Data) -> str:
    if symbol in data.shown:
        return data.shown[symbol]
    return next((text for s, text in context.names.latex.items() if s.name == symbol.name), symbol.name)


def _latex(expr, context: Context, data: Data) -> str:
    """In the lecture's letters: n_{H} written n_H as a lecture writes it."""
    return sympy.latex(expr, symbol_names={s: _lecture(_shown(s, context, data)) for s in expr.free_symbols})


def _lecture(name: str) -> str:
    return re.sub(r"_\{(\w)\}", r"_\1", name)


def _bernoulli(world: sympy.Expr, v) -> bool:
    """a log v + b log(1 - v) + terms free of v, with a and b free of v."""
    found = set()
    for term in sympy.Add.make_args(sympy.expand(world)):
        coefficient, rest = term.as_independent(v, as_Add=False)
        if rest == 1 or v not in rest.free_symbols:
            continue
        if rest == sympy.log(v):
            found.add("v")
        elif isinstance(rest, sympy.log) and sympy.expand(rest.args[0] - (1 - v)) == 0:
            found.add("1-v")
        else:
            return False
    return found == {"v", "1-v"}


def _instances(symbols, counts: int = 3) -> list[dict]:
    """Exact positive integers for the data names; a sum's limit n larger than the other names."""
    values = [(2, 5, 3, 7), (3, 4, 5, 2), (5, 2, 7, 3)]
    points = []
    ordered = sorted(symbols, key=lambda s: s.name)
    for k in range(counts):
        point = {}
        for j, s in enumerate(ordered):
            base = values[k][j % 4] + j
            point[s] = sympy.Integer(base + 20 if s.name in ("n", "N", "m") else base)
        points.append(point)
    return points


def check(left: Side, relation: str, right: Side, context: Context) -> StepResult | None:
    """``\\hat\\theta = expr`` judged against the likelihood the document stated earlier; None when the step is not
    an estimate with a likelihood of its parameter."""
    likelihoods = getattr(context, "likelihoods", ())
    if relation != "=" or not likelihoods or not right.readable:
        return None
    base = _estimate_base(left.text)
    if base is None:
        return None
    candidates = [lk for lk in likelihoods if base in [re.sub(r"\^.*$", "", p) for p in lk.parameters]]
    if not candidates:
        return None
    prose = context.lead_in + " " + context.prose
    if not _MLE.search(prose):
        return None

    def result(verdict, reason, evidence="", correct="", claim=None):
        return StepResult(relation, left.text, right.text, verdict, "known" if claim else "chain", reason, evidence,
                          claim=claim, correct=correct, category="" if claim else "identity")

    gate = _GATES.search(prose)
    if gate:
        return result("unchecked", f"an estimate after a likelihood, but the text speaks of '{gate.group(0)}' "
                                   "(not the plain maximum-likelihood estimate): not checked")
    for likelihood in reversed(candidates):
        judged = _judge(likelihood, base, left, right, context, result)
        if judged is not None:
            return judged
    return None


def _objective(likelihood: Likelihood, parameter: str, context: Context):
    """(log-likelihood to maximise, the parameter's symbol, the other parameters) or None."""
    side = read_side(_plain(parameter), context)
    if not side.readable or not isinstance(side.primary.expr, sympy.Symbol):
        return None
    v = side.primary.expr
    others = []
    for p in likelihood.parameters:
        if p != parameter:
            o = read_side(_plain(p), context)
            if not o.readable:
                return None
            others.append(o.primary.expr)
    for text in likelihood.sides:
        read = read_side(_FACTORIAL.sub(lambda m: r"\Gamma(" + m.group("x") + " + 1)", _plain(text)), context)
        if not read.readable or {"matrix"} & read.primary.flags:
            continue
        try:
            expr = read.primary.value()
        except Exception:
            continue
        if v not in expr.free_symbols:
            continue
        f = {"likelihood": sympy.log(expr), "log": expr, "nll": -expr}[likelihood.form]
        return f, v, others
    return None


def _judge(likelihood: Likelihood, base: str, left: Side, right: Side, context: Context, result):
    parameter = next(p for p in likelihood.parameters if re.sub(r"\^.*$", "", p) == base)
    if "^" in parameter:
        return None  # a variance parameter: \hat\sigma^2 against L(\sigma^2) is not read here
    found = _objective(likelihood, parameter, context)
    if found is None:
        return None
    f, v, others = found
    data = Data({}, {})
    notes = [f"{parameter} as the parameter, {_FORMS[likelihood.form]}"]
    try:
        with symbolic.time_limit(context.seconds):
            f = data.replace(_split_sums(f))
            c = right.primary.value()
            for s in c.free_symbols:  # \bar x: the mean of the data x_i the likelihood sums over
                bar = _BAR_NAME.match(s.name)
                if bar:
                    sums = [k for k in data.symbols if isinstance(k.function, AppliedUndef) and k.limits[0][1] == 1
                            and k.function.func.__name__.split("_")[0] == bar.group("x")]
                    if sums:
                        c = c.xreplace({s: data.symbols[sums[0]] / sums[0].limits[0][2]})
                        notes.append(f"{s.name} read as the mean of the {bar.group('x')}_i the likelihood sums over")
            c = data.replace(_split_sums(c))
    except Exception:
        return None
    if c.has(v) or f.has(sympy.Sum, sympy.Product) or c.has(sympy.Sum, sympy.Product):
        return None
    line = likelihood.line
    if not optimum.smooth(f) or any(algebra.is_opaque_function(n) and n.has(v) for n in sympy.preorder_traversal(f)):
        return result("unchecked", f"an estimate of {base} after the likelihood at line {line}, which is not a smooth "
                                   "function written out in the parameter: not checked")
    world, mapping = algebra.positive_world(f)
    v = mapping.get(v, v)
    c = c.xreplace({s: mapping.get(s, sympy.Symbol(s.name, positive=True)) for s in c.free_symbols
                    if not s.is_positive})
    if not c.free_symbols <= world.free_symbols - {v}:
        return result("unchecked", f"the estimate of {base} uses names the likelihood at line {line} does not "
                                   "(not compared)")
    claim = BERNOULLI if _bernoulli(world, v) else None
    which = "the Bernoulli likelihood the lecture wrote" if claim else "the likelihood the lecture wrote"
    others_note = (f" (for every value of {', '.join(_shown(o, context, data) for o in others)})" if others else "")
    others_note += " (reading " + "; ".join(notes) + ")"
    shown_v = _shown(v, context, data)
    estimate = right.text.strip()
    try:
        with symbolic.time_limit(context.seconds):
            gradient = sympy.diff(world, v)
            at = sympy.together(gradient.xreplace({v: c}))
            stationary = algebra.prove_zero(algebra.normal_form(at), context.seconds) or (
                "simplify" if sympy.simplify(at) == 0 else None)
    except Exception:
        return None
    if stationary:
        if optimum.concave_everywhere(world, v, context.seconds):
            return result("proved", f"proved: the first-order condition of {which} at line {line} holds at "
                                    f"{shown_v} = {estimate}{others_note}, and the second derivative of the "
                                    f"log-likelihood is negative for every {shown_v} (one maximum)", claim=claim)
        return result("unchecked", f"a stationary point of {which} at line {line}{others_note}, not shown to be its "
                                   "maximum", claim=claim)
    points = _instances(at.free_symbols)
    values = []
    for point in points:
        try:
            value = sympy.nsimplify(at.xreplace(point)) if at.xreplace(point).is_number else None
            value = sympy.simplify(at.xreplace(point)) if value is None or not value.is_Rational else value
        except Exception:
            value = None
        values.append(value)
    if all(value == 0 for value in values):
        return result("unchecked", f"holds on {len(points)} instances: the first-order condition of {which} at line "
                                   f"{line} is zero at {shown_v} = {estimate} for exact data values (not proved)",
                      claim=claim)
    if others or not all(value is not None and value.is_number and value != 0 for value in values) or \
            optimum.constraint_in(prose_of(context)):
        return result("unchecked", f"the first-order condition of {which} at line {line} is not shown at "
                                   f"{shown_v} = {estimate} (not decided)", claim=claim)
    try:
        with symbolic.time_limit(context.seconds):
            solutions = [s for s in sympy.solve(gradient, v) if not s.has(v)]
    except Exception:
        solutions = []
    if len(solutions) != 1:
        return result("unchecked", f"the derivative of the log-likelihood at line {line} is not zero at "
                                   f"{shown_v} = {estimate}, but no single stationary point is found: the maximum "
                                   "may be on a boundary (no flag)", claim=claim)
    correct = _latex(sympy.factor(solutions[0]), context, data)
    point, value = points[0], values[0]
    names = ", ".join(f"{_lecture(_shown(s, context, data))} = {Fraction(int(x))}" for s, x in point.items())
    return result("disagrees", f"the first-order condition of {which} at line {line} fails at {shown_v} = {estimate}: "
                               f"the derivative of the log-likelihood is not zero there; it vanishes at {shown_v} = "
                               f"{correct}{others_note}",
                  f"at {names}: the derivative d/d{shown_v} of the log-likelihood is {sympy.sstr(value)} at {shown_v} "
                  f"as written ({estimate}), derived 0 at {shown_v} = {correct}",
                  correct=f"{left.text.strip()} = {correct}", claim=claim)


def prose_of(context: Context) -> str:
    return context.prose + " " + context.statement
