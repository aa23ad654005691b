r"""Known results at a lecture's own size: \hat\sigma^2 = \frac1N\sum_{i=1}^N (x_i - \bar x)^2.

A claim derived for three observations declares how it generalises
(:class:`derivspec.core.claims.Sizes`): its value for N items, derived at symbolic N from the same
definitions. A statement whose left side is the claim's sized name (the same letter and accent,
any font, a word subscript such as ``_{\text{MLE}}`` allowed) and whose other side sums over the
lecture's items up to a symbolic count is compared with it:

* **proved for every N** when the two sides have the same linear form (sums split by linearity,
  constants pulled out: :func:`derivspec.core.sums.linear_form`);
* otherwise both sides are written out for N = 2, …, 8: a difference at one size, confirmed at
  high precision, is a **counterexample** (the flag shows that size and the items' values, and
  the claim's general form in the lecture's letters); equality at every size is evidence ("holds
  on 7 instances"), not a proof for every N.

The lecture's other names must be statistics the claim reads (``\bar x`` on the lecture's item
letter, ``\hat\mu``), shown in the reason, or the statement is left unchecked.
"""

from __future__ import annotations

import re

import sympy

from derivspec.scan.finite_sums import limit_symbol
from derivspec.scan.reader import DocumentNames, read_document
from derivspec.scan.steps import Context, Side, StepResult, known_result

_ITEM = re.compile(r"^(?P<head>.+?)_\{•\}$")  # x_{•}(i): the item x_i of a sum over i
_SUPERSCRIPT_ITEM = re.compile(r"^(?P<head>.+?)\^\{\((?P<index>[A-Za-z])\)\}$")  # x^{(i)}, as the reader keeps it
_WORD_SUBSCRIPT = re.compile(r"^(?:[A-Za-z]{2,}|\\(?:text|mathrm|textrm|operatorname)\{[A-Za-z ]{2,}\})$")


def _key(name: str):
    from derivspec.scan.names import NameKey

    return NameKey.of(name)


def lone_name_matches(shape: sympy.Expr, expr: sympy.Expr) -> bool:
    """``\\hat\\sigma^2`` matches ``\\hat{\\boldsymbol\\sigma}^2`` and ``\\hat\\sigma^2_{\\text{MLE}}``,
    not ``\\hat b^2``, ``\\sigma^2`` or ``\\hat\\sigma_t^2``."""
    if isinstance(shape, sympy.Pow):
        if not (isinstance(expr, sympy.Pow) and expr.exp == shape.exp):
            return False
        shape, expr = shape.base, expr.base
    if isinstance(expr, sympy.core.function.AppliedUndef):  # \mathrm{PPL}(x_{1:T}): the quantity by its name
        expr = sympy.Symbol(re.sub(r"\[[^\]]*\]$", "", expr.func.__name__))
    if not (isinstance(shape, sympy.Symbol) and isinstance(expr, sympy.Symbol)):
        return False
    ks, ke = _key(shape.name), _key(expr.name)
    if ks is None or ke is None or (ks.accents, ks.base) != (ke.accents, ke.base):
        return False
    return ke.sub == ks.sub or (not ks.sub and bool(_WORD_SUBSCRIPT.match(ke.sub)))


_SUBSCRIPT = r"(?:_\s*(?:\{[^{}$]*\}|[A-Za-z0-9]))?"
_NORMAL_LAW = re.compile(  # Y_1, ..., Y_m \stackrel{iid}{\sim} N(a, s^2): the items, the law, its mean and variance
    r"(?<![A-Za-z\\])(?P<items>\\?[A-Za-z]+)" + _SUBSCRIPT +
    r"\s*(?:,\s*(?:\.\.\.|\\[lc]?dots)\s*,\s*(?P=items)" + _SUBSCRIPT + r"\s*)?"
    r"(?:\\(?:stackrel|overset)\s*\{[^{}]*\}\s*\{\s*\\sim\s*\}|\\sim)\s*"
    r"(?P<law>(?:\\mathcal\s*\{?\s*N\s*\}?|N|\\(?:mathrm|operatorname)\{N\})\s*(?:\\left)?\(\s*"
    r"(?P<mean>\\?[A-Za-z]+)\s*,\s*(?P<variance>\\?[A-Za-z]+(?:\s*\^\s*\{?\s*2\s*\}?)?)\s*(?:\\right)?\))")


def declared_role(pattern: sympy.Expr, expr: sympy.Expr, context: Context) -> tuple | None:
    r"""(items' letter, 'mean' | 'variance', the law as written, its mean's letter) when ``expr`` is the claim's
    estimate written with the letter the document's normal law gives that parameter: ``\hat a`` for the mean after
    ``Y_1, \dots, Y_m \sim N(a, s^2)``, ``\hat s^2`` (or ``\hat v`` after ``N(a, v)``) for the variance; the
    accent and the exponent must be the claim's. None otherwise."""
    squared = isinstance(pattern, sympy.Pow)
    target = pattern.base if squared else pattern
    if not isinstance(target, sympy.Symbol) or _key(target.name) is None:
        return None
    role = "variance" if squared else "mean"
    accents = _key(target.name).accents
    for law in _NORMAL_LAW.finditer(context.prose):
        mean, variance = law.group("mean"), re.sub(r"\s+", "", law.group("variance"))
        if role == "mean":
            wanted = [(mean, False)]
        else:
            wanted = [(variance[:variance.index("^")], True)] if "^" in variance else [(variance, False)]
        for letter, power in wanted:
            name = expr.base if isinstance(expr, sympy.Pow) and expr.exp == 2 and power else expr
            if (isinstance(expr, sympy.Pow)) != power or not isinstance(name, sympy.Symbol):
                continue
            key, want = _key(name.name), _key(letter)
            if key is None or want is None or want.accents or key.accents != accents or key.base != want.base:
                continue
            if key.sub and not _WORD_SUBSCRIPT.match(key.sub):
                continue
            return law.group("items"), role, law.group("law"), _key(mean).base
    return None


def _gate(recognise, left: Side, context: Context) -> bool:
    around = f"{left.text} {context.prose}"
    if recognise.prose and not re.search(recognise.prose, around, re.IGNORECASE):
        return False
    return not (recognise.not_prose and re.search(recognise.not_prose, around, re.IGNORECASE))


def _items(expr: sympy.Expr, index_symbols: set):
    """The lecture's items: {node -> (head, index)} for every outermost application that depends on a
    sum's index (x_{•}(i) is x_i; p(x_t | x_{<t}) under \\sum_t is the t-th token's probability) and
    every x^{(i)}."""
    found = {}

    def visit(node):
        if isinstance(node, sympy.core.function.AppliedUndef):
            used = node.free_symbols & index_symbols
            if len(used) == 1:
                name = node.func.__name__
                m = _ITEM.match(name)
                found[node] = (m.group("head") if m else re.sub(r"\[[^\]]*\]$", "", name), used.pop())
                return
        if isinstance(node, sympy.Symbol):
            m = _SUPERSCRIPT_ITEM.match(node.name)
            index = [s for s in index_symbols if m and s.name == m.group("index")]
            if index:
                found[node] = (m.group("head"), index[0])
            return
        for arg in node.args:
            visit(arg)

    visit(expr)
    return found


def _indices(expr: sympy.Expr) -> set:
    return {limit[0] for node in sympy.preorder_traversal(expr) if isinstance(node, (sympy.Sum, sympy.Product))
            for limit in node.limits}


def check_sized(shape, claim, left: Side, relation: str, right: Side, context: Context) -> StepResult | None:
    """The sized comparison of one statement with one claim (None when the shape does not apply)."""
    from derivspec.core.claims import REAL
    from derivspec.core.sums import linear_form

    recognise = shape.recognise
    sizes = recognise.sizes
    if sizes.families or relation != "=" or not left.readable or not right.readable:
        return None
    if not _gate(recognise, left, context):
        return None
    by_role = None  # the declared law whose parameter the left side estimates, when not the claim's own letter
    if not lone_name_matches(shape.pattern, left.primary.expr):
        by_role = declared_role(shape.pattern, left.primary.expr, context)
        if by_role is None:
            return None
    if _has_parameters(claim.id, sizes):  # mu_0, sigma_0: read from the document's model (normal_posterior.py)
        return None
    try:
        rhs = right.primary.value()
    except Exception:
        return None
    count = limit_symbol(rhs)
    if count is None:
        return None

    result = known_result(relation, left.text, right.text, claim.id)

    items = _items(rhs, _indices(rhs))
    heads = {head for head, _ in items.values()}
    if len({n.func if isinstance(n, sympy.core.function.AppliedUndef) else n.name.split("^")[0] for n in items}) > 1:
        heads.add("…")  # one letter, two kinds of item: x_i and x_i(t)
    if len(heads) != 1:
        return result("unchecked", f"recognised as {claim.id}, but its sum is not over one family of items "
                                   f"({', '.join(sorted(heads)) or 'none'})")
    head = heads.pop()
    if by_role is not None and _key(head) != _key(by_role[0]):
        return None  # the law is declared for other items than the sum's
    head = head if "_" not in head else "{" + head + "}"  # {p_\\theta}_t
    domain = sizes.domain or REAL
    item = sympy.Function("item", **{k: v for k, v in domain.assumptions.items() if k in ("real", "positive")})
    candidate = rhs.xreplace({node: item(index) for node, (_, index) in items.items()})
    # a product over the items is exp of the sum of their logs (SymPy's Product.rewrite(Sum))
    candidate = sympy.powsimp(candidate.replace(lambda e: isinstance(e, sympy.Product),
                                                lambda e: e.rewrite(sympy.Sum)), force=True)
    readings = []
    head_key = _key(head)
    for symbol in sorted(candidate.free_symbols - {count} - _indices(candidate), key=lambda s: s.name):
        value = _statistic(symbol, head_key, sizes, count, item, by_role[3] if by_role else None)
        if value is None:
            shown = context.names.latex.get(symbol, symbol.name)
            return result("unchecked", f"recognised as {claim.id}, but the other side uses {shown}, which the "
                                       "claim does not read (not a statistic of the items it knows)")
        candidate = candidate.xreplace({symbol: value[0]})
        readings.append(f"{context.names.latex.get(symbol, symbol.name)} as {value[1]}")
    count_name = context.names.latex.get(count, count.name)
    index_name = next(iter(items.values()))[1].name
    readings.insert(0, f"{count_name} items {head}_{index_name}")
    if by_role is not None:
        readings.insert(1, f"{left.text.strip()} as the estimate of the {by_role[1]} of the law {by_role[2]} the "
                           f"document gives them")
    reading = f" (reading {', '.join(readings)})"
    target = sizes.general(count, item)
    correct = _correct(sizes, count_name, head, index_name)
    try:
        same = linear_form(sympy.expand(candidate - target)) == 0
    except Exception:
        same = False
    if not same and _sum_degree(candidate) < _sum_degree(target):
        return result("unchecked", f"recognised as {claim.id}, but its sum does not use a statistic of the items "
                                   f"such as their mean, which the claim's value does: another setting (a known "
                                   f"mean?){reading}")
    if same:
        return result("proved", f"matches {claim.id} ({claim.title}) for every {count_name}: the sums agree by "
                                f"linearity{reading}")
    return _written_out(claim, sizes, candidate, target, count, count_name, head, item, reading, correct, result)


_PARAMETERS: dict = {}


def _has_parameters(claim_id: str, sizes) -> bool:
    """Whether the claim's general form uses names besides the count and the items (a prior's mean and
    variance): the lecture's names for them are not statistics of the items, so this path cannot read them."""
    if claim_id not in _PARAMETERS:
        count = sympy.Symbol("N", positive=True, integer=True)
        general = sizes.general(count, sympy.Function("item", real=True))
        _PARAMETERS[claim_id] = bool(general.free_symbols - {count} - _indices(general))
    return _PARAMETERS[claim_id]


def _sum_degree(expr: sympy.Expr) -> int:
    """The most sums multiplied in one term of the linear form: 2 for (\\sum x_i)^2, the square of a mean."""
    from derivspec.core.sums import linear_form

    def degree(term):
        return sum(int(e) if isinstance(b, sympy.Sum) and e.is_Integer else 0
                   for b, e in (f.as_base_exp() for f in sympy.Mul.make_args(term)))
    try:
        form = linear_form(sympy.expand(expr))
    except Exception:
        return 0
    return max((degree(t) for t in sympy.Add.make_args(sympy.expand(sympy.numer(sympy.together(form))))), default=0)


def _statistic(symbol: sympy.Symbol, head_key, sizes, count, item, mean_letter: str | None = None):
    """(value, how it is read) of a lecture name the claim reads as a statistic of the items (``\\hat a`` as the
    claim's ``\\hat\\mu`` where the document's law of the items has mean a: ``mean_letter``)."""
    key = _key(symbol.name)
    if key is None:
        return None
    for latex, build in sizes.statistics.items():
        shape = _key(read_document(latex, DocumentNames()).expr.name)
        base = head_key.base if shape.base == sizes.item else shape.base
        bases = {base, mean_letter} if mean_letter and shape.base == "\\mu" else {base}
        if key.accents == shape.accents and key.base in bases and key.sub == shape.sub:
            return build(count, item), f"the claim's {latex}"
    return None


def _correct(sizes, count_name: str, head: str, index: str) -> str:
    """The claim's general form with the lecture's count, index and item letter."""
    text = sizes.correct
    text = re.sub(r"(?<![\\A-Za-z])N(?![A-Za-z])", lambda _: count_name, text)
    text = re.sub(r"(?<![\\A-Za-z])i(?![A-Za-z])", lambda _: index, text)
    text = re.sub(r"(?<![\\A-Za-z])" + re.escape(sizes.item) + r"(?![A-Za-z])", lambda _: head, text)
    return text


def _written_out(claim, sizes, candidate, target, count, count_name, head, item, reading, correct, result):
    from derivspec.core.claims import REAL, Var

    def items_at(n):
        items = [Var(f"x{k}", f"{head}_{k}", sizes.domain or REAL) for k in range(1, n + 1)]
        return items, {item(k): v.symbol for k, v in enumerate(items, start=1)}

    checked = sorted(sizes.checked, key=lambda n: (n != sizes.derived_at, n))  # the derived size first
    return written_out(claim.id, claim.title, checked, candidate, target, count, count_name, items_at, reading,
                       correct, result)


def written_out(claim_id: str, about: str, checked, candidate, target, count, count_name, items_at, reading,
                correct, result):
    """The lecture's form and the claim's general form written out at each count n of ``checked``
    (``items_at(n)``: the items' Vars and {application: symbol}) and compared by SymPy: a difference at one size is
    a flag with its counterexample, equality at every size "holds on instances" (not a proof for every count)."""
    from derivspec.core.checker import compare_expressions

    held = []
    for n in checked:
        items, values = items_at(n)

        def at(expr):
            return expr.xreplace({count: sympy.Integer(n)}).doit().xreplace(values)

        try:
            outcome = compare_expressions(at(candidate), at(target), items, seconds=2.0)
        except Exception as error:
            return result("unchecked", f"recognised as {claim_id}; written out at {count_name} = {n} the "
                                       f"comparison failed ({type(error).__name__}){reading}")
        if outcome.verdict == "not_equivalent":
            c = outcome.counterexample
            where = ", ".join(f"{v.latex}={c.point[v.name]}" for v in items if v.name in c.point) if c else ""
            evidence = (f"at {count_name} = {n}, {where}: as written {c.candidate}, derived {c.expected}"
                        if c else outcome.reason)
            return result("disagrees", f"disagrees with {claim_id} ({about}) at {count_name} = {n}{reading}",
                          evidence, correct)
        if outcome.verdict != "equivalent":
            return result("unchecked", f"recognised as {claim_id}; at {count_name} = {n} not decided: "
                                       f"{outcome.reason}{reading}")
        held.append(n)
    return result("unchecked", f"holds on {len(held)} instances: equal to {claim_id} written out for {count_name} = "
                               f"{', '.join(map(str, held))} (each proved by SymPy), not proved for every "
                               f"{count_name}{reading}")

