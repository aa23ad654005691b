r"""Mechanism *dependence*: the free and bound variables of each side of a line, on the typed tree.

A sum, product or integral binds its index; an expectation binds the variable its law names
(``\mathbb{E}_{x \sim p}``, ``\mathbb{E}_{q(z \mid x)}``: z) and, without a law, the random variables the document
declares (``X \sim \ldots``); a divergence binds the variables of its laws (``\mathrm{KL}(q(z) \| p(z))``: z); an
optimum or a limit binds its variable. A sum over an index set written as an equation (``\sum_{a + b = c}``) hides
every name of the equation inside its body: which of them it runs over and which stay fixed, the notation does not
say, so none of them is read as free there. Every other name is free. The rules of
this family compare the two sets: a function whose value lacks its argument, a variable bound on the left and
free on the right (an expectation or a sum dropped), an index free on the left and summed on the right, cases of a
law whose conditions never mention its variable.
"""

from __future__ import annotations

import re

from derivspec.core.errors import FormulaError
from derivspec.scan import tree
from derivspec.scan.clauses import split_clauses
from derivspec.scan.reader import read_document

_RANDOM = re.compile(r"((?:\\[A-Za-z]+|[A-Za-z])(?:_\{?\w+\}?)?)\s*\\sim(?![A-Za-z])")


def variables(node: tree.Node, randoms: frozenset = frozenset()) -> tuple[set, set]:
    """(free, bound): plain names (latex) free in ``node`` and those some operator of it binds."""
    free: set = set()
    bound: set = set()

    def visit(n: tree.Node, hidden: frozenset) -> None:
        if isinstance(n, tree.Density | tree.Apply) and _labelled(n, randoms):  # p_X(x): the pmf of X at x
            for part in (n.variables + n.given if isinstance(n, tree.Density) else n.args):
                visit(part, hidden)
            return
        if isinstance(n, tree.Name):
            if n.latex not in hidden and not n.index:
                free.add(n.latex)
            for i in n.index:
                visit(i, hidden)
            return
        binds: set = set()
        if isinstance(n, (tree.Sum, tree.Prod)):
            binds.add(n.index.latex)
        elif isinstance(n, tree.Integral) or isinstance(n, (tree.Opt, tree.Limit)) and isinstance(n.variable, tree.Name):
            binds.add(n.variable.latex)
        elif isinstance(n, tree.Expect):
            binds |= _law_variables(n.law)
            if n.law is None:
                binds |= {x.latex for x in tree.names_in(n.body) if x.latex in randoms}
        elif isinstance(n, tree.Divergence):
            binds |= _law_variables(n.first) | _law_variables(n.second)
        bound.update(binds)
        inner = hidden | binds | _constrained(n)
        if isinstance(n, (tree.Sum, tree.Prod)):
            for part in (n.lower, n.upper):  # bounds are outside the index's scope
                if part is not None:
                    visit(part, hidden)
            visit(n.body, inner)
            return
        for part in n.parts():
            visit(part, inner)

    visit(node, frozenset())
    return free, bound


def _labelled(n, randoms: frozenset) -> bool:
    """A density whose subscript names its random variable (notation: p_X(x) is the pmf of X at x)."""
    values = {a.latex.lower() for a in (n.variables if isinstance(n, tree.Density) else n.args) if isinstance(a, tree.Name)}
    return any(isinstance(c, tree.Name) and (c.latex in randoms or c.latex.lower() in values) for c in n.carried)


def _constrained(n: tree.Node) -> set:
    """The names of a sum's index set written as an equation (``\\sum_{a + b = c}``: a, b, c), else none."""
    condition = getattr(n, "condition", "")
    if not re.search(r"(?<![!<>\\])=", condition):
        return set()
    return {x.latex for x in tree.names_in(n) if not x.index and
            re.search(r"(?<![A-Za-z\\])" + re.escape(x.latex) + r"(?![A-Za-z])", condition)}


def _law_variables(law) -> set:
    if isinstance(law, tree.Density | tree.Apply):  # a divergence's laws: KL(q(z) || p(z))
        return {a.latex for a in (law.variables if isinstance(law, tree.Density) else law.args)
                if isinstance(a, tree.Name)}
    if isinstance(law, tree.Law):
        found = {a.latex for a in law.at if isinstance(a, tree.Name) and not a.index}
        if isinstance(law.density, tree.Density):
            found |= {a.latex for a in law.density.variables if isinstance(a, tree.Name)}
        elif isinstance(law.density, tree.Apply):
            found |= {a.latex for a in law.density.args if isinstance(a, tree.Name)}
        return found
    return set()


def randoms(doc) -> frozenset:
    """The names the document declares random (``X \\sim \\ldots``)."""
    if not hasattr(doc, "_randoms"):
        doc._randoms = frozenset(m.group(1).replace(" ", "") for m in _RANDOM.finditer(doc.text))
    return doc._randoms


# --- rules ---------------------------------------------------------------------------------------------

_CONSTANT_WORDS = re.compile(r"\b(?:constant|does not depend|independent of|for some|fixed|bias|intercept|"
                             r"baseline|same for every|regardless)\b", re.IGNORECASE)


def function_lacks_argument(line, doc) -> str | None:
    """DS101: f(x) = … whose right side uses names, none of them an argument."""
    node = line.node("left")
    if not isinstance(node, tree.Apply) or node.carried or not node.args:
        return None
    if not all(isinstance(a, tree.Name) and not a.index for a in node.args):
        return None
    if line.kinds & {"density", "pmf", "conditional_density", "probability", "cdf", "likelihood", "log_likelihood",
                     "std", "variance", "covariance", "entropy_discrete", "divergence", "norm"}:
        return None  # a uniform density, a likelihood of data, a moment of a random variable: other rules
    if re.match(r"\\(?:math(?:rm|bb|sf|cal)|operatorname|text)", node.head.latex):
        return None  # an operator written upright (\mathrm{sd}(X)): of a random variable, not a function
    if _CONSTANT_WORDS.search(line.lead) or "'" in node.head.latex:
        return None
    reading = line.reading("right")
    expr = line.expr("right")
    if reading is None or expr is None or not expr.free_symbols or expr.as_coeff_Mul()[1].is_Symbol:
        return None  # f(x) = c, g(s) = -y: a constant function (a derivative of a linear one) is a function too
    from derivspec.scan.rules.reading import _NOT_THE_QUANTITY_WORDS

    if _NOT_THE_QUANTITY_WORDS.search(line.lead):
        return None  # a gradient or a derivative may well lack the variable
    arguments = {a.latex for a in node.args}
    rest = line.text.split(line.left_text, 1)[-1]  # every side after the left one (a chain's last side too)
    cores = {re.sub(r"^\{?\s*\\(?:boldsymbol|mathbf|bm|vec|mathbold)\s*\{?\s*([^{}]*?)\s*\}?\s*\}?$", r"\1", a) for a in arguments}
    if any(re.search(r"(?<![A-Za-z\\])" + re.escape(a) + r"(?![A-Za-z])", rest) for a in arguments | cores):
        return None  # the argument is written on the right (x_i, a component; a later side of a chain)
    written = {(doc.names.latex.get(s) or s.name).replace(" ", ""): s for s in expr.free_symbols}
    if not all(re.fullmatch(r"\\?[A-Za-z]+", name) for name in written):
        return None  # an estimate, a prediction, an indexed or bold name (\hat y^{(i)}) may carry the argument
    if arguments & {w for w in written} or any(a.replace(" ", "") in written for a in arguments):
        return None
    if any(name in doc.heads for name in written):  # a name defined anywhere (y = 2x above) may carry the argument
        return None  # (each a bare letter or command: no subscript to take off, the fullmatch above)
    if _indexed_by_bound(line.node("right"), doc):
        return None  # Σ_i T_i c_i over the samples along a ray: the samples carry the argument
    shown = ", ".join(sorted(written))
    args = ", ".join(sorted(arguments))
    return (f"the function {line.left_text} of {args} has a right side without {args}: it uses only {shown}")


def _indexed_by_bound(node, doc) -> bool:
    """``node`` has a quantity indexed by an index it binds (Σ_i w_i x_i) that the document does not call constant:
    such quantities (samples, terms, data) may depend on a function's argument without writing it."""
    if node is None:
        return True
    _, bound = variables(node, randoms(doc))
    bases = {n.latex for n in node.walk() if isinstance(n, tree.Name) and
             any(isinstance(i, tree.Name) and i.latex in bound for i in tree.names_in(tree.Add(n.index)))}
    return any(not _said_constant(doc.text, base) for base in bases)


def _said_constant(text: str, base: str) -> bool:
    """The document's words call the indexed name ``base`` constant (``the constants $a_1, \\dots, a_n$``, ``$w_i$ are
    fixed``)."""
    name = r"(?<![\\A-Za-z])" + re.escape(base) + r"\s*_"
    return any(re.search(name, m.group(1)) and _CONSTANT_WORDS.search(text[max(0, m.start() - 40):m.end() + 40])
               for m in re.finditer(r"(?<!\$)\$([^$]{1,80})\$(?!\$)", text))


def variable_freed(line, doc) -> str | None:
    """DS102: a variable the left side binds (an expectation's, a sum's, an integral's) is free on the right."""
    left, right = line.node("left"), line.node("right")
    if left is None or right is None or isinstance(right, tree.Opaque):
        return None
    rand = randoms(doc)
    left_free, left_bound = variables(left, rand)
    right_free, _ = variables(right, rand)
    unread = {x.latex for n in right.walk() if isinstance(n, tree.Expect) and not _law_variables(n.law)
              for x in tree.names_in(n.body)}  # E_q[log q(z)] binds z, but its law does not say which name
    loose = sorted((left_bound & right_free) - left_free - unread)
    if not loose:
        return None
    if any(isinstance(n, tree.Opaque) for n in right.walk()):
        return None
    v = loose[0]
    return (f"{v} is bound on the left (an expectation, sum or integral over it) but free on the right: "
            f"the right side depends on {v}, the left side cannot")


def index_summed_away(line, doc) -> str | None:
    """DS103: an index free on the left (y_i) is summed over on the right (Σ_i)."""
    left, right = line.node("left"), line.node("right")
    if left is None or right is None:
        return None
    indices = {i.latex for n in _unconditioned(left) if isinstance(n, tree.Name)
               for i in n.index if isinstance(i, tree.Name) and not i.index}
    if not indices:
        return None
    left_free, _ = variables(left, randoms(doc))
    right_free, right_bound = variables(right, randoms(doc))
    summed = sorted((indices & left_free & right_bound) - right_free)
    if not summed:
        return None
    i = summed[0]
    return (f"the index {i} is free on the left but summed over on the right: the right side does not depend on {i}")


def _unconditioned(node: tree.Node):
    """The nodes of ``node`` outside what a law, a probability or an expectation is given: in a full conditional
    p(b_k | z_{iv}, π_i) the given abbreviates all the rest, so its indices are no index of the quantity."""
    yield node
    given = getattr(node, "given", ())
    for part in node.parts():
        if not any(part is g for g in given):
            yield from _unconditioned(part)


_CASES = re.compile(r"\\begin\{cases\}(.*?)\\end\{cases\}", re.DOTALL)
_CONDITION_WORDS = re.compile(r"\\(?:text|mathrm|textrm|quad|qquad)\s*\{[^{}]*\}|\\[,;:! ]|\bif\b|\bfor\b|\\quad|\\qquad")


def cases_without_variable(line, doc) -> str | None:
    """DS104: a law by cases whose conditions mention what it is given (its parameters), never its variable."""
    if not line.kinds & {"density", "pmf", "conditional_density", "probability"}:
        return None
    found = _CASES.search(line.statement.text)
    if not found:
        return None
    symbols, given = doc.variables(line)
    node = line.node("left")
    variable_names = set()
    if isinstance(node, tree.Density):
        variable_names = {a.latex for a in node.variables if isinstance(a, tree.Name)}
        given_names = {a.latex for a in node.given if isinstance(a, tree.Name)} | {
            a.latex for a in node.carried if isinstance(a, tree.Name)}
    elif isinstance(node, tree.Apply):
        variable_names = {a.latex for a in node.args if isinstance(a, tree.Name)}
        given_names = set()
    else:
        return None
    if not variable_names:
        return None
    conditions = []
    for row in re.split(r"\\\\", found.group(1)):
        if "&" not in row:
            continue
        condition = row.split("&", 1)[1]
        if re.search(r"otherwise|else|elsewhere", condition, re.IGNORECASE):
            continue
        condition = _CONDITION_WORDS.sub(" ", condition).strip(" ,.")
        if not condition:
            continue
        conditions.append(condition)
    if len(conditions) < 2:
        return None
    mentioned = []
    for condition in conditions:
        names = set()
        try:
            for clause in split_clauses(condition):
                for side in clause.sides:
                    if side.strip():
                        reading = read_document(side, doc.names)
                        names |= {(doc.names.latex.get(s) or s.name) for s in reading.expr.free_symbols}
        except (FormulaError, Exception):
            return None
        mentioned.append(names)
    if any(names & variable_names for names in mentioned):
        return None
    others = set().union(*mentioned)
    if not others or (given_names and not others & given_names and not all(mentioned)):
        return None
    shown = ", ".join(sorted(others))
    return (f"the cases of {line.left_text} are conditioned on {shown}, never on its variable "
            f"{', '.join(sorted(variable_names))}")


def law_of_given_variable(line, doc) -> str | None:
    r"""DS203: p(z | x) = 𝒩(x; …): a conditional density written as a density of what it is given."""
    node, right = line.node("left"), line.node("right")
    if not isinstance(node, tree.Density) or not node.given or not isinstance(right, tree.Law) or not right.at:
        return None
    variables_ = {a.latex for a in node.variables if isinstance(a, tree.Name)}
    given = {a.latex for a in node.given if isinstance(a, tree.Name)}
    at = {a.latex for a in right.at if isinstance(a, tree.Name)}
    if not at or at & variables_ or not at <= given:
        return None
    inside, _ = variables(tree.Add(tuple(right.params)) if right.params else tree.Num(0))
    if not variables_ & inside:
        return None
    v, a = ", ".join(sorted(variables_)), ", ".join(sorted(at))
    return (f"{line.left_text} is a density of {v} (left of the bar), but the right side is a density of {a}, "
            f"what it is given ({v} appears only in its parameters)")
