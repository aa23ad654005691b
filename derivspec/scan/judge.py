"""The one judge of ``scan``'s new middle: classification by meaning, then the verdict rules (DESIGN.md,
"Scan": judge).

Each step of a statement, read into typed trees by the scope, is classified first: a relation that is never
an identity (∼, ∈, ←, ≈ …), a display the prose makes a condition, a constraint or a special case, a
definition of a new name, an equation in one unknown. A step that asserts an identity is then judged on its
meaning (:mod:`derivspec.scan.operators`): **proved** when SymPy shows the unfolded sides equal (without the
document's definitions, or with those in force); **holds on N instances** when the instances agree;
**flagged** only when the sides differ on an instance that needed no choice for the document -- under the
definitions in force and without them, so that no admissible reading is left -- and at two precisions.
Everything else is unchecked with the reason. The row of a statement is its weakest step
(:func:`derivspec.scan.verdicts.row`).
"""

from __future__ import annotations

import dataclasses
import re

import sympy
from sympy.core.function import AppliedUndef

from derivspec.core import symbolic
from derivspec.scan import classify, knowledge, laws, matching, operators, tree, typed_reading, witness
from derivspec.scan.reader import written_numbers
from derivspec.scan.document_scope import (DEFINING, Line, Scope, Step, definable, defines, definition_key, free_laws, used_later,
                                          operators_in,
                                          index_names)
from derivspec.scan.steps import StepResult
from derivspec.scan.verdicts import STRENGTH, evidence_level

# σ(t), f(x, y) as written on a left side: a function of the document's own, defined by the line (σ(t) = t)
_APPLIED_NAME = re.compile(r"^\s*(\\[A-Za-z]+|[A-Za-z])\s*\(\s*(?:\\[A-Za-z]+|[A-Za-z])(?:\s*,\s*(?:\\[A-Za-z]+|[A-Za-z]))*\s*\)\s*$")
_SIZED = re.compile(r"\\(?:left|right|[bB]igg?[lr]?)\s*(?=[()])")  # \left( is ( : spacing decides nothing
# nodes with a meaning of their own: H(p, q) on a left side is a claim about the entropy, not a new function
_QUANTITIES = (tree.Entropy, tree.Divergence, tree.MutualInfo, tree.Expect, tree.Moment, tree.Density, tree.Prob,
               tree.Law, tree.Det, tree.Trace, tree.Ambiguous)
_ZEROTH = re.compile(r"\^\s*\{?\s*0\s*\}?(?![0-9.])")  # a zeroth power as written: w^0, w^{0}
JUDGED_RELATIONS = ("=", "≈", "∝", "≤", "≥", "<", ">")


def _result(step: Step, verdict: str, reason: str, evidence: str = "", *, label: bool = False,
            category: str = "") -> StepResult:
    return StepResult(step.relation, step.left.text, step.right.text, verdict, "chain", reason, evidence,
                      label=label, category=category)


def judge_line(line: Line, scope: Scope) -> list[StepResult]:
    if line.error:
        return [StepResult("", line.text, "", "unchecked", "chain", f"internal error while reading: {line.error}")]
    where = line.statement.lines[0]
    return [judge_step(step, line, scope, where) for step in line.steps]


def classification(step: Step, line: Line, scope: Scope, where: int) -> StepResult | None:
    """The step's class when it is not an identity to judge (a StepResult saying so), else None."""
    found = classify.relation_class(step.relation)
    if found is not None:
        return _result(step, "unchecked", found.why, label=True, category=found.name)
    if step.relation not in JUDGED_RELATIONS:
        return _result(step, "unchecked", f"an approximation or relation ({step.relation}) not judged",
                       category="approximation")
    for name, side in (("left", step.left), ("right", step.right)):
        if side.node is None:
            return _result(step, "unchecked", f"the {name} side is not read: {side.error}")
    own = sorted(operators_in(step.left.text + " " + step.right.text) & scope.own_operators.keys())
    if own:
        return _result(step, "unchecked", f"uses {own[0]}, an operator the document defines (line "
                                          f"{scope.own_operators[own[0]]}): not judged")  # asserts something: not neutral
    of_laws = any(isinstance(n, _LAWS) for side in (step.left, step.right) for n in side.node.walk())
    for found in (None if _events_read(step) else classify.sets_or_events(step.left.text, step.right.text, omega=False),
                  classify.bracket_notation(step.left.text, step.right.text),
                  None if of_laws else classify.stationarity(step.left.text, step.right.text)):  # E[∇ log p] = 0
        if found is not None:  # a claim about probabilities in set notation is unchecked, never neutral
            return _result(step, "unchecked", found.why, label=not of_laws, category=found.name)
    if line.condition:
        return _result(step, "unchecked", line.condition, label=True, category="condition")
    if line.constraint:
        return _result(step, "unchecked", line.constraint + ": not an identity", label=True, category="condition")
    if step.chain and step.right.node == tree.Num(0) and line.steps and classify.stationarity(
            "0", line.steps[0].left.text) is not None:  # d log p / dσ² = … = 0: the derivative set to zero
        return _result(step, "unchecked", "a derivative set to zero at the end of its chain: a condition being "
                                          "solved, not an identity", label=True, category="condition")
    if _set_to_zero(step) and classify.condition_prose(line.statement.before):
        return _result(step, "unchecked", "an expression set to zero after prose about conditions (set, solve, "
                                          "zero …): a condition being solved, not an identity", label=True,
                       category="condition")
    if step.relation == "=" and _reuses_left(step):
        found = classify.update(step.left.text)
        return _result(step, "unchecked", found.why, category=found.name)
    if line.assignment:
        return _result(step, "unchecked", line.assignment, category="assignment")
    if (step.first and isinstance(step.left.node, tree.Const) and step.relation == "="
            and tree.names_in(step.right.node)):
        return _result(step, "unchecked", f"defines {step.left.text.strip()} (a letter of the document's own; "
                                          "a definition, not checked)", label=True, category="definition")
    if step.relation == "=" and _notation(step.left.node, step.right.node):
        return _result(step, "unchecked", "the same law of the same variables written two ways (P(s' | s, a) = "
                                          "P(s, a, s')): a notation, not an identity", label=True, category="definition")
    defined = step.left.node
    if isinstance(defined, tree.Pow) and isinstance(defined.exponent, tree.Num):  # λ^2 = π/8 after λ = √(π/8)
        defined = defined.base
    new_name = not scope.defined_before(defined, where)
    if (step.relation in DEFINING and defines(step.left.node, scope) and not line.special_case
            and not _ARRAY_LEFT & step.left.flags and "derivative" not in step.left.flags
            and (new_name or (step.first and (line.defining or step.chain or used_later(step, line))))):
        return _result(step, "unchecked", f"defines {step.left.text.strip()} (a definition; not checked)", label=True,
                       category="definition")
    if step.chain and step.first and _values_given(step, scope, where):
        return _result(step, "unchecked", f"gives {step.left.text.strip()} values (not checked)", label=True,
                       category="definition")
    return None


def _notation(left: tree.Node, right: tree.Node) -> bool:
    """Both sides one law of one head at the same variables, one with a bar and one without (P(s' | s, a) =
    P(s, a, s')): the text naming a function of those variables, not a rule of laws (p(z | x) = p(x | z) is one)."""
    def parts(node):
        if isinstance(node, tree.Density):
            return node.head, node.variables + node.given, bool(node.given)
        if isinstance(node, tree.Apply):
            return node.head, node.args, False
        return None, (), False
    (head, mine, barred), (other, theirs, other_barred) = parts(left), parts(right)
    return head is not None and head == other and set(mine) == set(theirs) and barred != other_barred


def _known_result(step: Step, line: Line, scope: Scope, where: int) -> StepResult | None:
    """A side that is a standard result of the knowledge rows (matching.py: Φ(x), E[X] of X ∼ Pois(λ), …) and an
    other side equal to the row's meaning: proved, the row named. A row only proves; anything else is left to
    the general path."""
    if step.relation not in DEFINING or step.left.node is None or step.right.node is None:
        return None
    declared = scope.declared(where)
    found = [(k, m) for k, side in enumerate((step.left, step.right)) for m in matching.matches(side.node, declared)]
    if not found:
        return None
    try:
        left, right, meaning = _meaning(step, line, scope, where, expand=True)
        for k, match in found:
            value = matching.meaning(match, lambda node: operators.unfold(node, meaning))
            if not meaning.opaque and _proved(value, right if k == 0 else left, meaning):
                name = f" ({match.row.names[0]})" if match.row.names else ""
                return _result(step, "proved", f"the standard result {match.row.id}{name}: the other side is its "
                                               "value (knowledge rows)")
    except (operators.Undecided, laws.Unknown, TypeError, ValueError, AttributeError):
        return None
    return None


def _named_in_prose(step: Step, line: Line, scope: Scope, where: int) -> StepResult | None:
    """The first step of a line whose left side the sentence before names as a standard function ("the logistic
    function g", "the cross-entropy loss L_i", any letter: matching.named_in_prose) claims its value is that
    function: proved where the value equals a reading of a row the prose names (or a convention the row accepts);
    flagged where the sentence ends by naming it (only words that lead into a display follow the cue), every
    reading of every row so named is compared and differs, and the value uses no name those readings leave free
    (a model's w in g(x) = 1/(1 + e^{-wx}) is no slip of the sigmoid). None otherwise: the general path judges the
    line as before."""
    if (step.relation != "=" or step.left.node is None or step.right.node is None or line.special_case
            or not line.statement.display):
        return None
    prose = classify.lead_in(line.statement.before)
    try:
        value_only = dataclasses.replace(step, left=step.right)  # the left's earlier definition is no part of it
        _, right, meaning = _meaning(value_only, line, scope, where, expand=True)
        if meaning.opaque - {operators.OPEN_RANGE}:  # Σ_j e^{f_j} over the scores' range: the row's size n
            return None
        families = frozenset(f for f, role in meaning.roles.items() if role == "indexed")
        readings = matching.named_in_prose(step.left.node, step.right.node, right, prose,
                                           lambda node: operators.unfold(node, meaning), families)
        if not readings:
            return None
        for reading in readings:
            if any(_proved(target, right, meaning) for target in (reading.meaning,) + reading.accepted):
                return _result(step, "proved", f"the {reading.function.replace('_', ' ')} the text names: its "
                                               f"standard form ({reading.row}, knowledge rows)")
        differences = []
        for reading in readings:
            if not reading.last:
                continue  # named in passing: proved where it holds, never flagged
            checks = [witness.compare(target, right, meaning, _integers(scope, meaning), seed=where)
                      for target in (reading.meaning,) + reading.accepted]
            if not reading.closed or not all(c.differ and c.flaggable for c in checks):
                return None
            differences.append((reading, checks[0]))
    except (operators.Undecided, laws.Unknown, TypeError, ValueError, AttributeError):
        return None
    if not differences:
        return None
    reading, check = differences[0]
    slip = next((name for name, value in reading.wrong if _proved(value, right, meaning)), "")
    return _result(step, "disagrees", f"differs from the {reading.function.replace('_', ' ')} the text names "
                                      f"({reading.row}, knowledge rows): {check.differ}"
                                      + (f"; the slip: {slip}" if slip else ""), check.differ)


_SUPPORT = re.compile(r"\\geq?\s*0|\\ge\s*0|>\s*0|≥\s*0|\\in\s*\[|\bhalf\b|\bpositive\b", re.IGNORECASE)
_CONSTANT_LEFT_OUT = re.compile(r"\bup to\b|\bunnormali[sz]ed\b|\bproportional\b|\bconstant\b|\bnormali[sz]",
                                re.IGNORECASE)


def _density_normalised(step: Step, line: Line, scope: Scope) -> StepResult | None:
    """p(x | μ, τ) = a closed form in x: a density of x, proved when it integrates to 1 over the real line (its
    other names positive). It disagrees when it integrates to something else although it is positive on the whole
    line, no name of it stands only in a factor free of x (a normaliser Z), neither the line nor the sentences
    around it speak of a support (x ≥ 0, a half line), and, where the form writes no constant factor, of a constant left
    out ("up to a constant", "unnormalised"). None otherwise."""
    left, right = step.left.node, step.right.node
    if not (step.first and step.relation in DEFINING and right is not None):
        return None
    variables = left.variables if isinstance(left, tree.Density) else (
        left.args if isinstance(left, tree.Apply) and left.head.latex in scope.densities else ())
    if len(variables) != 1 or not isinstance(variables[0], tree.Name) or (
            variables[0] not in tree.names_in(right) and not _bounded(line, variables[0])):  # 1/b on 0 ≤ x ≤ b
        return None
    if any(isinstance(n, _LAWS + (tree.Law, tree.Apply, tree.Sum, tree.Integral, tree.Opaque)) for n in right.walk()):
        return None  # p(x | θ) = N(x | μ, σ²): the model stated, a family's density by definition -- no proof
    meaning = operators.Meaning()
    try:
        value = sympy.sympify(operators.unfold(right, meaning))
        x = operators.unfold(variables[0], meaning)
        positive = {s: sympy.Symbol(s.name, positive=True) for s in value.free_symbols if s != x}
        heads = {head: key[0] for key, head in meaning.symbols.items() if meaning.roles.get(head) == "indexed"}
        positive.update({a: sympy.Symbol(f"{heads[a.func]}_{{{','.join(map(str, a.args))}}}" if a.func in heads
                                         else str(a), positive=True)
                         for a in value.atoms(AppliedUndef) if not a.has(x)})
        form = value.xreplace(positive)  # σ_0 too: an indexed name is an applied function until here
        total = sympy.simplify(sympy.integrate(form, (x, -sympy.oo, sympy.oo), conds="none"))
    except (TypeError, ValueError, NotImplementedError, AttributeError, RecursionError, operators.Undecided):
        return None
    if meaning.opaque:
        return None
    after = re.split(r"(?<=[.!?])\s|\n\s*\n", line.statement.after.strip(), maxsplit=1)[0]  # "…, for $x \ge 0$."
    prose = " ".join((line.text, classify.lead_in(line.statement.before), after))
    support = _support(step, line, variables[0], meaning, positive)
    if support is not None:
        return _density_on_support(step, form, x, support, prose)
    if total == 1:
        return _result(step, "proved", f"{step.left.text.strip()} is a density of {variables[0].latex}: it integrates "
                                       "to 1 over the real line (its other names positive)")
    if (total.has(sympy.oo, sympy.zoo, sympy.nan, sympy.Integral) or not total.is_positive
            or _SUPPORT.search(prose) or (_CONSTANT_LEFT_OUT.search(prose) and not _constant_factor(form, x))
            or _normaliser_name(form, x)):
        return None
    at = {s: sympy.Rational(k + 2, k + 3) for k, s in enumerate(sorted(form.free_symbols - {x}, key=str))}
    try:
        values = [form.xreplace(at).subs(x, point).evalf(30) for point in (-2, -1, 0, 1, 2)]
        found = total.xreplace(at).evalf(30)
    except (TypeError, ValueError):
        return None
    if not all(v.is_real and v > 0 for v in values) or not found.is_real or abs(found - 1) < 1e-9:
        return None
    where = f" at {', '.join(f'{s} = {v}' for s, v in at.items())}" if at else ""
    return _result(step, "disagrees", f"{step.left.text.strip()} is stated as a density of {variables[0].latex}, but "
                                      f"it integrates to {sympy.N(found, 8)}{where}, not 1, over the real line",
                   f"∫ = {sympy.N(found, 8)}")


def _bounding_steps(line: Line, variable: tree.Name) -> list:
    """The line's inequalities with ``variable`` alone on a side (a support beside a density: 0 ≤ x ≤ b)."""
    return [other for other in line.steps
            if other.relation in ("≤", "<", "≥", ">") and variable in (other.left.node, other.right.node)]


def _bounded(line: Line, variable: tree.Name) -> bool:
    return bool(_bounding_steps(line, variable))


def _support(step: Step, line: Line, variable: tree.Name, meaning: operators.Meaning, positive: dict):
    """The support the line itself states for the density's variable, beside the density (``p(x) = 2x, 0 ≤ x ≤ 1``,
    ``f(z) = λ e^{-λ z}, z ≥ 0``): (lower, upper) in SymPy, None for an open end; None when it states none, or
    states a bound it does not read."""
    lower = upper = None
    for other in _bounding_steps(line, variable):
        sides = (other.left.node, other.right.node)
        if any(n is None for n in sides):
            return None
        bound = sides[1] if sides[0] == variable else sides[0]
        if variable in tree.names_in(bound):
            return None
        try:
            value = sympy.sympify(operators.unfold(bound, meaning)).xreplace(positive)
        except (TypeError, ValueError, AttributeError, operators.Undecided):
            return None
        below = (other.relation in ("≥", ">")) == (sides[0] == variable)  # x ≥ c, c ≤ x: c bounds x below
        if below:
            lower = value
        else:
            upper = value
    return (lower, upper) if lower is not None or upper is not None else None


def _density_on_support(step: Step, form: sympy.Expr, x: sympy.Symbol, support: tuple, prose: str) -> StepResult | None:
    """The density integrated over the support its line states: proved when 1; disagrees when it is positive inside
    and integrates to another number or to ∞ there (its other names positive), unless the prose speaks of a constant
    left out or a normaliser name stands outside."""
    lower, upper = support
    where = " and ".join(part for part in (f"{x} ≥ {lower}" if lower is not None else "",
                                            f"{x} ≤ {upper}" if upper is not None else "") if part)
    low = -sympy.oo if lower is None else lower
    high = sympy.oo if upper is None else upper
    try:
        total = sympy.simplify(sympy.integrate(form, (x, low, high), conds="none"))
    except (TypeError, ValueError, NotImplementedError, AttributeError, RecursionError):
        return None
    if total == 1:
        return _result(step, "proved", f"{step.left.text.strip()} is a density of {x}: it integrates to 1 over "
                                       f"{where}, the support its line states (its other names positive)")
    if total.has(sympy.zoo, sympy.nan, sympy.Integral, -sympy.oo) or (
            _CONSTANT_LEFT_OUT.search(prose) and not _constant_factor(form, x)) or _normaliser_name(
            form, x, sympy.sympify(low).free_symbols | sympy.sympify(high).free_symbols):  # 1/b on 0 ≤ x ≤ b: b
        return None  # is the support's, no normaliser
    at = {s: sympy.Rational(k + 2, k + 3) for k, s in enumerate(sorted((form.free_symbols | sympy.sympify(
        low).free_symbols | sympy.sympify(high).free_symbols) - {x}, key=str))}
    a, b = (sympy.sympify(end).xreplace(at) for end in (low, high))
    inside = ([a + sympy.Rational(k, 4) * (b - a) for k in (1, 2, 3)] if a.is_finite and b.is_finite else
              [a + k for k in (sympy.Rational(1, 2), 1, 2)] if a.is_finite else
              [b - k for k in (sympy.Rational(1, 2), 1, 2)] if b.is_finite else [])
    try:
        values = [form.xreplace(at).subs(x, point).evalf(30) for point in inside]
        found = total.xreplace(at).evalf(30)
    except (TypeError, ValueError):
        return None
    if not inside or not all(v.is_real and v > 0 for v in values):
        return None
    if found != sympy.oo and (not found.is_real or not found.is_positive or abs(found - 1) < 1e-9):
        return None
    shown = "∞" if found == sympy.oo else sympy.N(found, 8)
    named = f" at {', '.join(f'{s} = {v}' for s, v in at.items())}" if at and found != sympy.oo else ""
    return _result(step, "disagrees", f"{step.left.text.strip()} is stated as a density of {x} on {where}, but it "
                                      f"integrates to {shown}{named} there, not 1", f"∫ = {shown}")


def _constant_factor(form: sympy.Expr, x: sympy.Symbol) -> bool:
    """The form writes a factor free of x other than a sign (1/√(2πσ²) e^{…}): a normaliser written out."""
    return any(not f.has(x) and f not in (1, -1) for f in sympy.Mul.make_args(sympy.factor_terms(form)))


def _normaliser_name(form: sympy.Expr, x: sympy.Symbol, bounds: set = frozenset()) -> bool:
    """A name that stands only in a factor free of x (e^{-x^2} / Z), nor in the support's ``bounds``: a normaliser
    the text may mean to fix."""
    factors = sympy.Mul.make_args(sympy.factor_terms(form))
    outside = set().union(*(f.free_symbols for f in factors if not f.has(x)))
    inside = set().union(*(f.free_symbols for f in factors if f.has(x)))
    return bool(outside - inside - bounds)


def _standard_quantity(step: Step) -> bool:
    """A left side that is an information quantity the operator table knows (KL, cross-entropy, H, I): a line
    defining it states the standard definition or the document's own -- proved when it agrees, else a definition."""
    node = step.left.node
    return isinstance(node, _INFORMATION) or (isinstance(node, tree.Ambiguous) and all(
        isinstance(reading, _INFORMATION) for _, reading in node.readings))  # H(p, q): a cross-entropy or a joint H


def _events_read(step: Step) -> bool:
    """Probabilities of events the tree reads (P(A ∩ B^c | C)): every set operation inside a probability, and no
    set notation the reader leaves without meaning (∅, Ω, {…})."""
    def inside(node, in_probability=False):
        if isinstance(node, tree.Event) and not in_probability:
            return False
        return all(inside(p, in_probability or isinstance(node, tree.Prob)) for p in node.parts())
    sides = (step.left, step.right)
    return (any(isinstance(n, tree.Prob) and n.head is not None for s in sides for n in s.node.walk())
            and all(inside(s.node) for s in sides) and not any(classify.unread_sets(s.text) for s in sides))


def _defined_twice(step: Step, scope: Scope, where: int) -> list:
    """The names and functions the step uses that the document defines more than once on or above it (f(x) = 1/x,
    later f(x) = e^x)."""
    return [n for side in (step.left, step.right) for n in side.node.walk()
            if isinstance(n, tree.Name | tree.Apply) and scope.defined_twice(n, where)]


def _defined_on_its_line(step: Step, line: Line, scope: Scope, where: int) -> bool:
    """Each name the step uses that the document defines twice is defined on the step's own line, before it
    (f(x) = 1/(2x) → df/dx = -1/x², in a document that defines f anew in each display): the line says which
    definition it means, and the reading takes that one (the latest in force)."""
    here = [d for d in _in_force(step, line, scope, where) if d.line == where]
    twice = _defined_twice(step, scope, where)
    return bool(twice) and all(any(definition_key(d.name) in scope.keys_of(n) for d in here) for n in twice)


def _differs_under_every_definition(step: Step, line: Line, scope: Scope, where: int) -> bool:
    """The step differs, nothing chosen for the document but laws, with each name it uses that the document
    defines twice read by each of its definitions in turn (f(x) = 1/x, later f(x) = e^x): whichever one the line
    means, it fails. A definition not in force at the step is not tried: then it is not decided (False)."""
    keys = {definition_key(n) for n in _defined_twice(step, scope, where)}
    keys = {key for key in keys if len(scope.values_written(key, where)) > 1}  # df/dx: f's own key
    in_force = {definition_key(d.name) for d in _in_force(step, line, scope, where)}
    if not keys or not keys <= in_force:
        return False
    for key in sorted(keys, key=str):
        for value in scope.values_written(key, where):
            found = _compared(step, line, scope, where, chosen={key: value})
            if found is None:
                return False
            check, (_, _, meaning) = found
            if not (check.differ and (check.flaggable or check.on_laws)) or meaning.opaque:
                return False
    return True


def _values_given(step: Step, scope: Scope, where: int) -> bool:
    """The first relation of a chain puts numbers for undefined names (w h c / (w' h' c') = 256 · 256 · 3 / …)."""
    unknowns = _unknowns(step.left.node)
    return (bool(unknowns) and not tree.names_in(step.right.node)
            and not any(scope.defined_before(n, where) for n in unknowns))


def _upper_index(step: Step, scope: Scope) -> str:
    """A superscript that is an index, read here as a power: g^{ij} where the document writes g_{ij} and uses i, j
    as indices; w^0 (nobody writes a zeroth power to give it a value); h^k beside h^{k-1} (iterates)."""
    exponents: dict = {}
    for side in (step.left, step.right):
        for n in side.node.walk():
            if not (isinstance(n, tree.Pow) and isinstance(n.base, tree.Name)):
                continue
            if n.exponent == tree.Num(0):
                return n.base.latex
            if (n.base.latex in scope.indexed and tree.names_in(n.exponent)
                    and all(m.latex in scope.integers for m in tree.names_in(n.exponent))):
                return n.base.latex
            exponents.setdefault(n.base, set()).add(n.exponent)
    for base, found in exponents.items():
        symbolic = [e for e in found if tree.names_in(e)]
        if any(_differ_by_a_whole_number(a, b) for a in symbolic for b in symbolic if a != b):
            return base.latex
    return ""


def _differ_by_a_whole_number(a: tree.Node, b: tree.Node) -> bool:
    meaning = operators.Meaning()
    try:
        difference = sympy.simplify(operators.unfold(a, meaning) - operators.unfold(b, meaning))
    except (operators.Undecided, TypeError, ValueError):
        return False
    return difference.is_Integer and difference != 0


def _own_constant(step: Step, scope: Scope) -> str:
    """A constant the document defines as a letter of its own (e = c d), read here as the constant."""
    used = {n for side in (step.left, step.right) for n in side.node.walk() if isinstance(n, tree.Const)}
    return ", ".join(str(c.which) for c in used & scope.own_constants)


def _names_vanish(side) -> bool:
    """A side written with names whose reading has none (w^0 is 1, x - x is 0)."""
    if any(isinstance(n, tree.Name | tree.Const | tree.Fn) for n in side.node.walk()):  # e^{-1/2}: exp, a constant
        return False
    return bool(side.names_used)  # the reader met names (\phi^0, w^0, x - x) and none is left


def _names_lost(side) -> bool:
    """A name the reader met that the reading has lost (w^0 is 1: F^0 b = b keeps b and loses F)."""
    kept = {n.latex for n in side.node.walk() if isinstance(n, tree.Name)}
    return any(str(name) not in kept for name in side.names_used)


def _set_to_zero(step: Step) -> bool:
    return any(side.node == tree.Num(0) for side in (step.left, step.right))


def _written_alike(step: Step) -> bool:
    """Both sides written the same, spaces and sizing aside (the reader's SymPy commutes products: the trees of
    A B and B A are the same, their texts are not)."""
    plain = lambda text: "".join(text.replace("\\left", "").replace("\\right", "").split())
    return plain(step.left.text) == plain(step.right.text)


def _reuses_left(step: Step) -> bool:
    """x = x - η g: the left side, a name, stands on the right too -- an update, not an identity. A left side
    written as a derivative the reader took (∇_x (b^T x), read b) is no name."""
    left = step.left.node
    return (step.first and not step.chain and isinstance(left, tree.Name | tree.Apply) and step.right.node != left
            and "derivative" not in step.left.flags
            and any(part == left for part in step.right.node.walk()))


def judge_step(step: Step, line: Line, scope: Scope, where: int) -> StepResult:
    normalised = _density_normalised(step, line, scope)
    if normalised is not None:
        return normalised
    known = _known_result(step, line, scope, where)
    if known is not None:
        return known
    found = classification(step, line, scope, where)
    if (found is None or found.category == "definition") and step.first:
        named = _named_in_prose(step, line, scope, where)
        if named is not None:
            return named
    if found is not None and found.category == "definition" and _standard_quantity(step):
        judged = _judged_all(dataclasses.replace(step, relation="="), line, scope, where)  # H(p, q) := -Σ p log q
        if judged.verdict == "proved":
            return dataclasses.replace(judged, relation=step.relation, reason="agrees with the standard definition: "
                                                                               + judged.reason)
    if found is not None and found.category == "definition":
        solved = _solves_an_equation_above(step, line, scope)
        if solved is not None:
            return solved
    if found is not None:
        return found
    same = _same_optimisers(step, line, scope, where)
    if same is not None:
        return same
    if _written_alike(step) and step.relation in ("=", "≤", "≥", "∝", "≈"):  # the same text on both sides
        return _result(step, "proved", "proved (the sides are identical)" + ("" if step.relation == "=" else
                                                                             f", so {step.relation} holds"))
    if step.implication:  # A ⇒ B: B may be a condition being solved; it is proved when it holds whatever A says
        found = _judged_all(step, line, scope, where)
        if found.verdict == "proved" or (found.verdict == "disagrees" and _a_rule_of_laws(step, line, scope, where)):
            return found  # ⇒ log p(x | y) = log p(y | x) + …: laws are not unknowns an equation solves for
        return _result(step, "unchecked", "an equation in an implication (⇒): a condition being solved, not an identity",
                       category="condition")  # never neutral: a consequence it does not prove is a claim unchecked
    return _judged_all(step, line, scope, where)


_RELATING = "stands on one side only and is not defined: an equation relating it, not an identity"
_NOT_SOLVED_FOR = (tree.Integral, tree.Sum, tree.Prod, tree.Limit, tree.Opt, tree.Expect, tree.Moment,
                   tree.Divergence, tree.Entropy, tree.MutualInfo)
SOLVED_WINDOW = 6  # relational statements above a value stated for a name, where the equation it solves stands


def _solves_an_equation_above(step: Step, line: Line, scope: Scope) -> StepResult | None:
    """x = v for a name x that an equation a few statements above relates to others (Xθ = Y, then θ = X^{-1} Y;
    λ - p_i/q_i² = 0, then q_i = ±√(p_i/λ)): proved when that equation, judged with v put for x, is proved and
    as written is an equation, a condition or a definition (_an_equation_to_solve) -- the line states a solution
    of it (DESIGN.md, "Scan": a name solved for across lines). It only proves: a value that does not solve the
    equation nearest may solve another, and stays a definition. The search stops at a line that defines x."""
    name, value = step.left.node, step.right.node
    if not (step.first and step.relation == "=" and isinstance(name, tree.Name) and value is not None
            and name not in tree.names_in(value)):
        return None
    at = next((k for k, other in enumerate(scope.lines) if other is line), 0)
    for earlier in reversed(scope.lines[max(0, at - SOLVED_WINDOW):at]):
        for other in earlier.steps:
            sides = (other.left.node, other.right.node)
            if other.relation != "=" or None in sides:
                continue
            if name in sides:
                return None
            if not any(name in tree.names_in(side) for side in sides):
                continue
            if not all(_as_a_value_only(side, name) for side in sides):  # a head, an index, a law's variable
                continue
            if any(isinstance(n, _NOT_SOLVED_FOR) for side in sides for n in side.walk()):
                continue  # an integral, a sum or an expectation equation: nobody solves it on the next line
            put = dataclasses.replace(other, first=True, chain=False, left=_put(other.left, name, value),
                                      right=_put(other.right, name, value))
            where = earlier.statement.lines[0]
            if (_judged_all(put, earlier, scope, where).verdict == "proved"
                    and _an_equation_to_solve(other, earlier, scope, where)
                    and not _solves_for_numbers_only(step, other, name, scope)):
                return _result(step, "proved", f"solves the equation at line {where}, {other.left.text.strip()} = "
                                               f"{other.right.text.strip()}: it holds with this value put for "
                                               f"{step.left.text.strip()} (proved symbolically)")
    return None


def _an_equation_to_solve(step: Step, line: Line, scope: Scope, where: int) -> bool:
    """A step the judge, as written, takes for an equation, a condition or a definition -- never for an identity
    (a chain's later step, which a special value may make trivially true: γ = 0 in a combination of scores)."""
    if step.chain and not step.first:
        return False
    found = classification(step, line, scope, where)
    if found is not None:
        return found.category in ("condition", "definition")
    found = _judged_all(step, line, scope, where)
    return found.verdict == "unchecked" and _RELATING in found.reason


def _solves_for_numbers_only(step: Step, equation: Step, name: tree.Name, scope: Scope) -> bool:
    """The value solves the equation for numbers but not with every name a non-commuting matrix (Xθ = Y, then
    θ = Y X^{-1}): whether the names are matrices the document may not say, so it is not proved."""
    same = (name.latex, name.index)
    try:
        value = typed_reading.as_matrices(step.right.text, scope.names)
        sides = [tree.rebuilt(typed_reading.as_matrices(side.text, scope.names),
                              lambda n: value if isinstance(n, tree.Name) and (n.latex, n.index) == same else n)
                 for side in (equation.left, equation.right)]
    except Exception:  # noqa: BLE001 -- a side not read with matrices (√, a function of numbers): numbers only
        return False
    return bool(witness.on_matrices(*sides).differ)


def _as_a_value_only(node: tree.Node, name: tree.Name) -> bool:
    """``name`` stands in ``node`` only as a value of arithmetic (a term, a factor, a base or exponent, an
    argument): never as a function's head, a sum's index, a derivative's variable or a law's variable, where a
    value cannot be put for it."""
    if node == name:
        return True
    if isinstance(node, tree.Add | tree.Mul | tree.Pow | tree.Fn):
        return all(_as_a_value_only(part, name) for part in node.parts())
    if isinstance(node, tree.Apply):
        return node.head != name and all(_as_a_value_only(a, name) for a in node.args + node.carried)
    return name not in tree.names_in(node)


def _put(side, name: tree.Name, value: tree.Node):
    """``side`` with ``value`` put for ``name`` wherever the tree has it (its text as written)."""
    return dataclasses.replace(side, node=tree.rebuilt(side.node, lambda node: value if node == name else node),
                               other=None)


def _same_optimisers(step: Step, line: Line, scope: Scope, where: int) -> StepResult | None:
    """arg max_v F = arg max_v G (or arg min, or arg max_v F = arg min_v (-G)): the same optimisers when G is F mapped
    by a strictly increasing function -- a shift or a positive factor free of v, a log, an exponential (the arg max
    of a likelihood is that of its log). Proved so; any other pair is left to the instances (None)."""
    left, right = step.left.node, step.right.node
    if step.relation != "=" or not all(isinstance(n, tree.Opt) and n.kind in ("argmax", "argmin") and n.domain is None
                                       for n in (left, right)) or left.variable != right.variable:
        return None
    meaning = operators.Meaning(definitions={d.name: d.value for d in _in_force(step, line, scope, where)
                                             if isinstance(d.name, tree.Name)}, expand=True)
    try:
        v = meaning.symbol(left.variable)  # the variable itself, bound: not a value a definition above gives it
        f, g = (sympy.sympify(operators.unfold(n, meaning).args[0]) for n in (left, right))  # bodies, v bound
    except (operators.Undecided, TypeError, ValueError, AttributeError):
        return None
    if left.kind != right.kind:
        g = -g
    positive = {s: sympy.Dummy(str(s), positive=True) for s in (f.free_symbols | g.free_symbols) - {v}}
    f, g = f.xreplace(positive), g.xreplace(positive)

    def free_of_v(expr) -> bool:
        try:
            expr = sympy.simplify(sympy.expand_log(expr, force=True))
        except (TypeError, ValueError, NotImplementedError, RecursionError):
            return False
        return v not in expr.free_symbols

    for name, test in (("a term free of it", lambda: free_of_v(g - f)),
                       ("a positive factor free of it", lambda: free_of_v(g / f) and sympy.simplify(g / f).is_positive),
                       ("a positive factor and a term free of it", lambda: _constant_positive_ratio(g, f, v)),
                       ("a log", lambda: free_of_v(g - sympy.log(f))), ("a log", lambda: free_of_v(f - sympy.log(g)))):
        if test():
            return _result(step, "proved", f"the same optimisers over {left.variable.latex}: the objectives differ by "
                                           f"{name} (a strictly increasing map)")
    return None


def _constant_positive_ratio(g, f, v) -> bool:
    """dG/dv = a dF/dv with a > 0 free of v: G = a F + b."""
    try:
        ratio = sympy.simplify(sympy.diff(g, v) / sympy.diff(f, v))
    except (TypeError, ValueError, NotImplementedError, RecursionError, ZeroDivisionError):
        return False
    return v not in ratio.free_symbols and not ratio.has(sympy.Derivative, sympy.Subs) and ratio.is_positive is True


def _a_rule_of_laws(step: Step, line: Line, scope: Scope, where: int) -> bool:
    """Both sides are quantities of laws alone (no scalar, no parameter): a step nobody solves for a value."""
    try:
        left, right, meaning = _meaning(step, line, scope, where, True)
    except operators.Undecided:
        return False
    return all(_of_laws(side, meaning) for side in (left, right)) and not _scalars(left, right, meaning)


def _judged_all(step: Step, line: Line, scope: Scope, where: int) -> StepResult:
    variables = _open_gradient_variables(step)
    if variables and line.gradient_variable is not None:  # "Below, the gradient is wrt. $\theta$"
        return _judged_laws(_with_gradient_variable(step, line.gradient_variable), line, scope, where)
    if variables:  # ∇ that names no variable: each name it acts on is a reading; the one that holds is meant
        results = [(f"∇ read as ∇_{v.latex} (the text does not name the variable)",
                    _judged_laws(_with_gradient_variable(step, v), line, scope, where)) for v in variables]
        return _reading_meant(step, results)
    return _judged_laws(step, line, scope, where)


def _open_gradient_variables(step: Step) -> list:
    """The names a gradient that names no variable acts on (at most four), or []."""
    found = [n for s in (step.left, step.right) for g in s.node.walk() if isinstance(g, tree.Grad) and g.variable is None
             for n in sorted(tree.names_in(g.body) - _index_nodes(g.body), key=lambda n: n.latex)]
    return list(dict.fromkeys(found))[:4]


def _index_nodes(node: tree.Node) -> set:
    return {n for n in node.walk() if isinstance(n, tree.Name) and n.latex in index_names(node)}


def _with_gradient_variable(step: Step, variable: tree.Name) -> Step:
    def named(node):
        return tree.Grad(node.body, variable) if isinstance(node, tree.Grad) and node.variable is None else node
    side = lambda s: dataclasses.replace(s, node=tree.rebuilt(s.node, named))
    return dataclasses.replace(step, left=side(step.left), right=side(step.right))


def _judged_laws(step: Step, line: Line, scope: Scope, where: int) -> StepResult:
    laws_open = _open_laws(step, scope, where)
    if laws_open:  # E[…] under no named law: each law it may be under is a reading; the one that holds is meant
        results = [(label, _judged_readings(dataclasses.replace(step, open_law=law), line, scope, where))
                   for label, law in laws_open]
        return _as_numbers_only(step, scope, _reading_meant(
            step, results, "E[…] read as the expectation under {}: the statement leaves the law open"))
    return _as_numbers_only(step, scope, _judged_readings(step, line, scope, where))


def _judged_readings(step: Step, line: Line, scope: Scope, where: int) -> StepResult:
    results = [_one_reading(reading, line, scope, where) for reading in _readings(step, scope)]
    return _every_reading(step, scope, results)


_LAWS = (tree.Expect, tree.Moment, tree.Density, tree.Prob, tree.Entropy, tree.MutualInfo, tree.Divergence)


def _open_laws(step: Step, scope: Scope, where: int) -> list:
    """(label, law) for each law an expectation that names none may be under: every density the step writes
    (E[log q(z | x) - log p(x, z)] under q(z | x)), and the joint law of the names used only inside
    expectations and probabilities ("use": E(X + Y) = E(X) + E(Y)). [] when every expectation names its law,
    or each is of one name the document declares (X ∼ Gamma(a, b) above: E[X] is under that law)."""
    sides = [side.node for side in (step.left, step.right)]
    open_ones = [n for s in sides for n in s.walk() if isinstance(n, tree.Expect) and n.law is None and not n.given]
    if not open_ones:
        return []
    declared = scope.declared(where)
    if all(len(tree.names_in(n.body)) == 1 and all(name.latex in declared and not name.index
                                                     for name in tree.names_in(n.body)) for n in open_ones):
        return []  # one declared name each: E[X Y] of two declared ones still leaves their joint law open
    densities = list(dict.fromkeys(n for s in sides for n in s.walk()
                                   if (isinstance(n, tree.Density) or isinstance(n, tree.Apply) and n.head.latex in
                                       scope.densities)
                                   and not any(isinstance(p, tree.Opaque | tree.Event) for p in n.walk())))
    return [("the joint law of the names used only inside expectations", "use")] + [
        (f"{d.head.latex}({', '.join(_text(v) for v in _variables(d))}"
         + (f" | {', '.join(_text(g) for g in d.given)})" if _given(d) else ")"), d) for d in densities[:6]]


def _variables(law: tree.Node) -> tuple:
    return law.variables if isinstance(law, tree.Density) else law.args


def _given(law: tree.Node) -> tuple:
    return law.given if isinstance(law, tree.Density) else ()


def _text(node: tree.Node) -> str:
    return node.latex if isinstance(node, tree.Name) else "·"


def random_by_use(step: Step) -> frozenset:
    """The names of the step that stand only inside expectations, probabilities and information quantities
    (E(X + Y) = E(X) + E(Y): X and Y; E[a X] = a E[X]: X, not a)."""
    inside, outside = set(), set()

    def visit(node, within):
        if isinstance(node, tree.Name):
            (inside if within else outside).add(node)
        for part in node.parts():
            visit(part, within or isinstance(node, _LAWS + (tree.Ambiguous,)))  # H(P, Q), I(X, Y): either reading
    for side in (step.left, step.right):
        visit(side.node, False)
    return frozenset(inside - outside)


def _reading_meant(step: Step, results: list, named: str = "{}") -> StepResult:
    """From (reading, result) under each reading of an open E[…] or ∇: proved under one, else holding on
    instances under one, is the reading meant (the reason names it, as ``named`` says it); a difference under
    every one is never a flag (the law or variable may be one the step does not write); else the weakest."""
    for level in ("proved", "holds on instances"):
        for reading, found in results:
            if evidence_level(found.verdict, found.reason) == level:
                return dataclasses.replace(found, reason=f"{found.reason} ({named.format(reading)})")
    if all(found.verdict == "disagrees" for _, found in results):
        return _result(step, "unchecked", "differs under every reading the statement leaves open ("
                       + "; ".join(label for label, _ in results) + "), but the text does not say which: not flagged",
                       results[0][1].evidence)
    quiet = [found for _, found in results if found.verdict != "disagrees"]  # a difference under one is no flag
    return min(quiet, key=lambda r: STRENGTH.index(evidence_level(r.verdict, r.reason)))


def _one_reading(step: Step, line: Line, scope: Scope, where: int) -> StepResult:
    try:
        found = _judged(step, line, scope, where)
    except operators.Undecided as why:
        return _result(step, "unchecked", str(why))
    if found.verdict == "disagrees" and _UP_TO_A_CONSTANT & (step.left.flags | step.right.flags):
        return _result(step, "unchecked", f"differs under one reading (a constant the lecture leaves open, or Δx "
                                          f"read as Δ times x): {found.reason}; not flagged", found.evidence)
    return found


_UP_TO_A_CONSTANT = frozenset({"const", "increment"})  # x + const; Δx: one name or Δ times x
_ELEMENTWISE = re.compile(r"\\(?:circ|odot|ast|star|otimes)(?![A-Za-z])")  # composition or elementwise: not numbers
_ARRAY_FLAGS = frozenset({"matrix", "norm", "inverse of a product"})  # a bold name alone is a vector: scope.arrays
_ARRAY_LEFT = _ARRAY_FLAGS | {"vector"}  # a left side of arrays defines nothing the judge can unfold


_INFORMATION = (tree.Entropy, tree.Divergence, tree.MutualInfo)
LOG_BASES = (None, 2)  # nats, bits: the units an information quantity may be measured in


def _readings(step: Step, scope: Scope) -> list[Step]:
    """The step under each reading of its sides: as read, and with an ambiguous side's other reading (unless the
    bracket follows a law: p(x) of a law p is p at x); a step with an information quantity in nats and in bits."""
    readings = [step]
    if _other_reading_admissible(step, scope):
        other = lambda side: dataclasses.replace(side, node=side.other) if side.other is not None else side
        readings.append(dataclasses.replace(step, left=other(step.left), right=other(step.right)))
    if any(isinstance(n, _INFORMATION) for side in (step.left, step.right) for n in side.node.walk()):
        readings = [dataclasses.replace(r, log_base=base) for r in readings for base in LOG_BASES]
    return readings


def _every_reading(step: Step, scope: Scope, results: list[StepResult]) -> StepResult:
    """A flag needs every reading to differ, a proof every reading to be proved; else the weakest, said so. The
    unit of an information quantity is a convention, not a reading: the step holds in the unit it holds in."""
    if step.log_base is None and len(results) == 2 * len(_readings_without_units(step, scope)) and len(results) > 1:
        by_unit = [results[i::len(LOG_BASES)] for i in range(len(LOG_BASES))]
        judged = [_every_reading(step, scope, unit) for unit in by_unit]
        proved = [r for r in judged if r.verdict == "proved"]
        if proved:
            return proved[0]
        if all(r.verdict == "disagrees" for r in judged):
            return judged[0]
        quiet = [r for r in judged if r.verdict != "disagrees"]  # it holds, or may, in the other unit: no flag
        return min(quiet, key=lambda r: STRENGTH.index(evidence_level(r.verdict, r.reason)))
    if len(results) == 1:
        return results[0]
    verdicts = {r.verdict for r in results}
    if verdicts == {"disagrees"} or verdicts == {"proved"}:
        return results[0]
    flagged = [r for r in results if r.verdict == "disagrees"]
    if flagged:
        return _result(step, "unchecked", f"differs under one reading of an ambiguous side, not under the other "
                                          f"(a bracket read as an application or as a product)", flagged[0].evidence)
    weakest = min(results, key=lambda r: STRENGTH.index(evidence_level(r.verdict, r.reason)))
    return weakest


def _other_reading_admissible(step: Step, scope: Scope) -> bool:
    if step.left.other is None and step.right.other is None:
        return False
    heads = {n.head.latex for side in (step.left, step.right) for n in side.node.walk() if isinstance(n, tree.Apply)}
    return not heads or not heads <= scope.densities


def _readings_without_units(step: Step, scope: Scope) -> list:
    return [step] + ([step] if _other_reading_admissible(step, scope) else [])


def _as_numbers_only(step: Step, scope: Scope, result: StepResult) -> StepResult:
    """A step of vectors or matrices read as numbers (a transpose or a norm read as 1x1, a product of names the
    document types as arrays) is decided for numbers only: instances that hold are 1x1 instances, a proof or a
    difference is neither a proof nor a flag for arrays. Vectors only added, scaled inside functions, or as the
    variable of a gradient are read component by component, which is exact."""
    level = evidence_level(result.verdict, result.reason)
    elementwise = _ELEMENTWISE.search(step.left.text + " " + step.right.text)
    if not (_ARRAY_FLAGS & (step.left.flags | step.right.flags)
            or any(_multiplies_arrays(side.node, scope.arrays) for side in (step.left, step.right)) or elementwise):
        return result
    only_matrices = result.verdict == "unchecked" and any(  # det, tr: no meaning as numbers
        isinstance(n, tree.Det | tree.Trace) for side in (step.left, step.right) for n in side.node.walk())
    if (level in ("proved", "holds on instances") or only_matrices) and not elementwise \
            and not _ZEROTH.search(step.left.text + " " + step.right.text):  # F^0 b = b: an iterate, not a power
        on_matrices = _on_matrices(step, scope)  # every name a matrix: products in the written order
        if on_matrices is not None:
            return on_matrices
    if result.verdict == "unchecked" and not level == "holds on instances":
        return result
    if level == "holds on instances":
        return dataclasses.replace(result, reason=result.reason + " (vectors and matrices read as numbers: 1x1 "
                                                                  "instances, evidence for numbers only)")
    return _result(step, "unchecked", "vectors and matrices are read as numbers here (not typed yet): decided for "
                                      f"numbers only ({level})", result.evidence)


def _on_matrices(step: Step, scope: Scope) -> StepResult | None:
    """The step with every name a square rational matrix (witness.on_matrices): holding there is evidence for
    matrices; anything else leaves the step decided for numbers only (None)."""
    try:
        sides = [typed_reading.as_matrices(side.text, scope.names) for side in (step.left, step.right)]
    except Exception:  # noqa: BLE001 -- a side not read with matrices: decided for numbers only, as before
        return None
    found = witness.on_matrices(*sides)
    if found.agree and not found.differ:
        return _result(step, "unchecked", f"holds on {found.agree} instances with every name a square rational "
                                          "matrix (2x2 and 3x3, products in the written order): evidence for "
                                          "matrices, not a proof")
    return None


def _multiplies_arrays(node: tree.Node, arrays: set) -> bool:
    """A product or power whose operands hold a name typed as a vector or a matrix in their arithmetic (not
    inside a density or a function of the document, whose value is a number: p(z) of a vector z), or two factors
    each array-valued (exp(A) exp(B): elementwise for vectors, not so for matrices; ∂Z/∂X ∂L/∂Z). Whether a bold
    name is a vector or a matrix is not read from its letter's case."""
    for part in node.walk():
        if isinstance(part, tree.Mul):
            holding = [f for f in part.factors if _arithmetic_names(f) & arrays]
            if holding and len([f for f in part.factors if not isinstance(f, tree.Num)]) >= 2:
                return True
            if len([f for f in part.factors if _of_arrays(f, arrays)]) >= 2:  # exp(A) exp(B), ∂Z/∂X ∂L/∂Z
                return True
        elif isinstance(part, tree.Pow) and _arithmetic_names(part.base) & arrays:
            return True
        elif isinstance(part, tree.Inverse | tree.Det | tree.Trace | tree.Transpose):
            return True
    return False


def _of_arrays(node: tree.Node, arrays: set) -> bool:
    """A standard function of an array (exp(A)), or a derivative of or by one (∂Z/∂X, ∇_x f): array-valued, so a
    product of such is an array product whose order matters."""
    if isinstance(node, tree.Fn):
        return any(_arithmetic_names(a) & arrays for a in node.args)
    if isinstance(node, tree.Deriv | tree.Grad | tree.Jacobian | tree.Hessian):
        return any(_arithmetic_names(p) & arrays for p in node.parts())
    return False


def _arithmetic_names(node: tree.Node) -> set:
    """The names ``node`` computes with: through sums, products and powers, not into applications."""
    if isinstance(node, tree.Name):
        return {node.latex}
    if isinstance(node, tree.Add | tree.Mul | tree.Pow):
        return set().union(*(_arithmetic_names(p) for p in node.parts()))
    return set()

def _meaning(step: Step, line: Line, scope: Scope, where: int, expand: bool, models: bool = False,
             family_reading: int = 0, chosen: dict | None = None):
    """The two sides' meaning; ``chosen``: definition key -> the value to read a name defined twice with."""
    left_node, right_node, vectors = _outcome_probabilities(step.left.node, step.right.node)
    if vectors:
        step = dataclasses.replace(step, left=dataclasses.replace(step.left, node=left_node),
                                   right=dataclasses.replace(step.right, node=right_node))
    densities = scope.densities | vectors
    meaning = operators.Meaning(expand=expand, densities=frozenset(densities), log_base=step.log_base,
                                family_reading=family_reading,
                                entropy_e=scope.entropy_e, declared=scope.declared(where), depends=line.depends,
                                open_law=step.open_law, random_by_use=random_by_use(step), held=line.held)
    heads = {n.head.latex for side in (step.left, step.right) for n in side.node.walk()
             if isinstance(n, tree.Density) or (isinstance(n, tree.Apply) and n.head.latex in densities)}
    if len(heads) == 1:  # H(X | Y) = Σ p(x, y) …: the step's one law is the law its H, I and E speak of
        meaning.default_law = next(iter(heads))
    written: dict = {}
    for side in (step.left, step.right):
        for n in side.node.walk():
            if isinstance(n, tree.Density) and not n.given:
                written.setdefault(n.head.latex, set()).add(n.variables)
            elif isinstance(n, tree.Apply) and n.head.latex in densities:
                written.setdefault(n.head.latex, set()).add(n.args)
    meaning.law_variables = {head: next(iter(found)) for head, found in written.items() if len(found) == 1}
    nodes = [n for side in (step.left, step.right) for n in side.node.walk()]
    meaning.varied = frozenset(n.variable for n in nodes if isinstance(n, tree.Deriv | tree.Grad)
                               and isinstance(n.variable, tree.Name))
    meaning.law_parameters = {n.head.latex: laws.varied(n, meaning) for n in nodes
                              if isinstance(n, tree.Density | tree.Apply) and laws.varied(n, meaning)}
    meaning.parameters = frozenset(g for n in nodes if isinstance(n, tree.Density) for g in n.given
                                   if isinstance(g, tree.Name)) | {c for found in meaning.law_parameters.values()
                                                                   for c in found}
    in_force = _in_force(step, line, scope, where) if expand else []
    varied = {definition_key(v) for v in _differentiated_by(line)}
    in_force = [d for d in in_force if not (definition_key(d.name) in varied and not tree.names_in(d.value))]
    # x = 4 in an example above, d/dx here or in another step of the line (d/dx h(x) = 4x^3 + 2 = 0): x is the
    # line's variable, not that value
    if chosen:
        in_force = [dataclasses.replace(d, value=chosen.get(definition_key(d.name), d.value)) for d in in_force]
    for d in sorted(in_force, key=lambda d: (d.line, d.position)):  # the latest definition of a head last
        if isinstance(d.name, tree.Name) and not d.name.index:
            meaning.bare.pop(d.name.latex, None)
        elif isinstance(d.name, tree.Apply) and all(isinstance(a, tree.Name) for a in d.name.args):
            meaning.bare[d.name.head.latex] = d.value  # df/dx below f(x) = …: f at its own arguments
    for d in in_force:
        if isinstance(d.name, tree.Name) and not d.name.index:
            meaning.definitions[d.name] = d.value
        elif (isinstance(d.name, tree.Apply) and d.name.args and all(isinstance(a, tree.Name) for a in d.name.args)
              and len(set(d.name.args)) == len(d.name.args) and d.name.head.latex not in scope.densities):
            meaning.functions[(d.name.head.latex, len(d.name.args))] = (d.name.args, d.value)
    left_node, right_node = step.left.node, step.right.node
    if models:  # the document's factorisations above: p(x, z | θ) is the model's p(z) p(x | z, θ)
        stated = _models(scope, where)
        left_node, right_node = (tree.rebuilt(n, lambda part: stated.get(part, part)) for n in (left_node, right_node))
    left, right = operators.unfold(left_node, meaning), operators.unfold(right_node, meaning)
    if expand:
        left, right = (_indexed_definitions(s, in_force, meaning) for s in (left, right))
    values = {operators.unfold(name, meaning): operators.unfold(value, meaning) for name, value in
              (line.special_case[1] if line.special_case else ())}
    if values:
        left, right = left.xreplace(values), right.xreplace(values)
    return left, right, meaning


def _outcome_probabilities(left: tree.Node, right: tree.Node) -> tuple:
    """``p_i`` read as ``p(i)`` where the step takes the bare ``p`` as a law by its place (``H(p, q) = -Σ_i p_i log
    q_i``, ``KL(p ‖ q) = Σ_i p_i log(p_i / q_i)``): a probability vector indexed by the outcome is that law's
    probability of outcome i, whatever its letter -- where i runs over every outcome, a sum with no range written
    (``p_1`` of a Bernoulli, ``Σ_{k=1}^K p_k``: a range the laws' outcomes need not be). Returns the two sides and
    the names so read (laws of the step)."""
    def arguments(node) -> tuple:
        if isinstance(node, tree.Divergence):
            return node.first, node.second
        if isinstance(node, tree.Entropy):
            return node.of
        return ()
    laws_here = {a.latex for side in (left, right) for n in side.walk() for a in arguments(n)
                 if isinstance(a, tree.Name) and not a.index}
    outcomes = {n.index for side in (left, right) for n in side.walk()  # Σ_i over every outcome (no range written)
                if isinstance(n, tree.Sum) and n.lower is None and n.upper is None and not n.condition}
    read = {n.latex for side in (left, right) for n in side.walk() if isinstance(n, tree.Name)
            and n.latex in laws_here and len(n.index) == 1 and not n.bold and n.index[0] in outcomes}
    if not read:
        return left, right, frozenset()

    def as_probability(node):
        if isinstance(node, tree.Name) and node.latex in read and len(node.index) == 1 and node.index[0] in outcomes:
            return tree.Apply(tree.Name(node.latex), node.index)
        return node
    return tree.rebuilt(left, as_probability), tree.rebuilt(right, as_probability), frozenset(read)


def _differentiated_by(line: Line) -> set:
    """The names some step of the line differentiates by (d/dv, ∇_v): the line's variables, whatever number a
    definition above gives the same letter (an example's v = 1)."""
    return {n.variable for step in line.steps for side in (step.left, step.right) if side.node is not None
            for n in side.node.walk() if isinstance(n, tree.Deriv | tree.Grad) and isinstance(n.variable, tree.Name)}


def _hidden_dependence(step: Step, meaning: operators.Meaning) -> bool:
    """A function the step applies is defined above with a name its arguments do not show, and the step binds
    that name (s(θ) = ∇_θ log p(x | θ) inside E_{p(x | θ)}[…]): the step as written is not the step meant."""
    nodes = [n for side in (step.left, step.right) for n in side.node.walk()]
    bound = {n.index for n in nodes if isinstance(n, tree.Sum | tree.Prod)} | {
        n.variable for n in nodes if isinstance(n, tree.Integral)} | {
        v for n in nodes if isinstance(n, tree.Expect) and isinstance(n.law, tree.Law)
        and isinstance(n.law.density, tree.Density | tree.Apply) for v in _variables(n.law.density)}
    applied = {(n.head.latex, len(n.args)) for n in nodes if isinstance(n, tree.Apply)}
    return any((tree.names_in(value) - set(parameters)) & bound
               for key, (parameters, value) in meaning.functions.items() if key in applied)


def _models(scope: Scope, where: int) -> dict:
    """The joint densities the document factorises above ``where`` -> the product each stands for."""
    return {joint: product for at, joint, product in scope.factorisations if at < where}


def _chains(left, right, meaning: operators.Meaning) -> list[str]:
    """The dependences read from the derivatives that the unfolded sides still hold (a definition in force
    replaces the one it defines)."""
    return sorted(label for label, function in meaning.chains.items()
                  if sympy.sympify(left).has(function) or sympy.sympify(right).has(function))


def _in_force(step: Step, line: Line, scope: Scope, where: int) -> list:
    """The definitions in force at the step: those above, those of an earlier statement on its line, and those its
    own statement states in a step before it."""
    position = next((k for k, s in enumerate(line.steps)
                     if (s.left.text, s.relation, s.right.text) == (step.left.text, step.relation, step.right.text)), 0)
    before = {(s.left.node, s.right.node) for s in line.steps[:position]}
    place = next((k for k, other in enumerate(scope.lines) if other is line), -1)
    return [d for d in scope.in_force(where, same_line=True)  # "with N = u + d, b' = 1 + (N - u)": in force
            if d.line < where or d.position < place or (d.name, d.value) in before]


def _indexed_definitions(expr, definitions: list, meaning: operators.Meaning):
    """``expr`` with every indexed name and function the document defines replaced by its definition at the
    indices or arguments it is used with (``\\alpha_t = 1 - \\beta_t`` holds at every t)."""
    for _ in range(4):  # a definition that uses another
        before = expr
        for d in definitions:
            pattern = d.name.index if isinstance(d.name, tree.Name) else getattr(d.name, "args", ())
            if not pattern or not all(isinstance(p, tree.Name) for p in pattern):
                continue
            head = (meaning.function(d.name.head.latex) if isinstance(d.name, tree.Apply)  # f(x): f, not its value
                    and d.name.head.latex not in meaning.densities else operators.unfold(d.name, meaning).func)
            if not any(e.func == head for e in expr.atoms(AppliedUndef)):  # unused here: not unfolded (its
                continue  # opaque parts, a law as a value, are no part of this step)
            variables = [meaning.symbol(p) for p in pattern]
            value = operators.unfold(d.value, meaning)
            expr = expr.replace(lambda e: isinstance(e, AppliedUndef) and e.func == head and len(e.args) == len(variables),
                                lambda e: value.xreplace(dict(zip(variables, e.args))))
        if expr == before:
            break
        if sympy.count_ops(expr, visual=False) > UNFOLDED_SIZE:  # definitions that unfold into one another (p_g
            raise operators.Undecided("definitions in force that unfold into one another")  # through D, D through
    return expr  # p_g): the step as written (a development statement grew for its whole time limit)


UNFOLDED_SIZE = 2000  # operations: far above any step written out by hand


def _proved(left, right, meaning: operators.Meaning) -> bool:
    difference = sympy.sympify(left - right)
    if difference == 0:
        return True
    try:
        if difference.has(operators.Optimum):  # an optimum SymPy finds (one stationary point, its curvature)
            difference = difference.replace(lambda e: isinstance(e, operators.Optimum), lambda e: e.doit())
            if difference == 0:
                return True
        if meaning.marginals:  # sums over laws: their normal form first (simplify on such sums is the slow part)
            difference = laws.normal(difference, meaning)
            if difference == 0:
                return True
            if difference.has(sympy.Sum):  # a sum over a support left: the instances decide, simplify cannot
                return False
        doit = witness.evaluates(difference)  # SymPy's doit in simplify: only where it can give a value
        if not doit:
            difference = witness.summed_where_possible(difference)
        with symbolic.time_limit(witness.INTEGRAL_SECONDS if difference.has(sympy.Integral) else None):
            if sympy.simplify(difference, doit=doit) == 0:
                return True
            # log(1/a) = -log(a): where both sides are defined a log's argument is positive
            return difference.has(sympy.log) and sympy.simplify(sympy.expand_log(difference, force=True),
                                                                 doit=doit) == 0
    except (TypeError, ValueError, NotImplementedError, AttributeError, RecursionError,
            StopIteration):  # StopIteration: SymPy's sum_simplify on two sums, one without a Sum factor
        return False
    except symbolic.SymPyTimeout:
        if symbolic.remaining_seconds() == 0:  # the statement's own limit: it ends the statement
            raise
        return False  # an integral simplify cannot close in its own limit: the instances decide


def _judged(step: Step, line: Line, scope: Scope, where: int) -> StepResult:
    plain_left, plain_right, plain = _meaning(step, line, scope, where, expand=False)
    try:
        full_left, full_right, full = _meaning(step, line, scope, where, expand=True)
    except operators.Undecided:  # a definition in force that is not read: the step as written
        full_left, full_right, full = plain_left, plain_right, plain
    vanished = [side.text.strip() for side in (step.left, step.right) if _names_lost(side)]
    if vanished and _ZEROTH.search(step.left.text + " " + step.right.text):  # w^0 = 1: an initial iterate, not a power
        return _result(step, "unchecked", f"the names of {vanished[0]} vanish in its reading (w^0 read as 1): a "
                                          "superscript may be an index; not judged")
    printed = _printed_numbers(step, plain_left, plain_right)  # the numbers as written, no definition in them
    if printed is not None:
        return dataclasses.replace(printed, kind="number")
    if step.relation == "≈":
        return _result(step, "unchecked", "an approximation: not judged", category="approximation")
    if step.relation == "∝":
        return _proportional(step, line, full_left, full_right, full)
    declared_together = {key for m in (plain, full) for key in m.symbols
                         if isinstance(key, tuple) and key[0] == "family variable" and isinstance(key[1], str)}
    if len(declared_together) > 1:  # X ∼ N(0, 1), Y ∼ N(0, 1): their joint law is not declared (SymPy's are independent)
        return _result(step, "unchecked", "two or more variables declared one by one: their joint law (independent or "
                                          "not) is not stated, so the step is not judged")
    opaque = sorted(full.opaque)
    equation = step.relation == "="
    proved_as_written = equation and _proved(plain_left, plain_right, plain)  # simplify once: it is the slow part
    if proved_as_written and _hidden_dependence(step, full):  # s(θ) defined with x in it: E_x[s(θ)] = s(θ)
        proved_as_written = _proved(full_left, full_right, full)  # holds only as written
    proved_with_definitions = not proved_as_written and equation and _proved(full_left, full_right, full)
    if equation and not (proved_as_written or proved_with_definitions) and any(
            joint in side.node.walk() for joint in _models(scope, where) for side in (step.left, step.right)):
        try:  # the model the document states: a constraint on its laws, used to prove, never to flag
            model_left, model_right, model = _meaning(step, line, scope, where, expand=True, models=True)
            if _proved(model_left, model_right, model):
                full_left, full_right, full, proved_with_definitions = model_left, model_right, model, True
        except operators.Undecided:
            pass
    chain = _chains(*((plain_left, plain_right, plain) if proved_as_written else (full_left, full_right, full)))
    if chain and (proved_as_written or proved_with_definitions):  # the chain is a reading: evidence, not a proof
        sides = (plain_left, plain_right, plain) if proved_as_written else (full_left, full_right, full)
        found = witness.compare(*sides, _integers(scope, sides[2]), seed=where)
        if found.agree and not found.differ:
            return _result(step, "unchecked", f"holds on {found.agree} instances of the chain {', '.join(chain)} "
                                              "(read from the derivatives) with concrete functions")
        return _result(step, "unchecked", f"not decided on instances of the chain {', '.join(chain)} read from the "
                                          f"derivatives: {found.why}")
    if proved_as_written or proved_with_definitions:
        given = "" if proved_as_written else " (with the definitions above)"
        restated = (definable(step.left.node) and scope.defined_before(step.left.node, where)) or any(
            at < where and joint in (step.left.node, step.right.node) for at, joint, _ in scope.factorisations) or (
            isinstance(step.left.node, tree.Density) and scope.defined_before(tree.Apply(  # f(x_i; W) after f(x_i, W) =
                step.left.node.head, step.left.node.variables + step.left.node.given), where))
        written_before = any(definition_key(d.name) == definition_key(step.left.node) and d.value == step.right.node
                             for d in scope.in_force(where))  # the definition above, word for word
        if given and step.first and restated and (written_before or not line.derived):  # "we get": a consequence  # f(x) = … again, or the model p(x, z) = p(z) p(x | z) again
            return _result(step, "unchecked", f"restates the document's definition of {step.left.text.strip()}: "
                                              "a definition, not a proof", label=True, category="definition")
        return _result(step, "proved", f"proved symbolically{given}")
    if equation and _one_unknown(step, scope, where, _differentiated_by(line)):  # in a chain: never neutral
        return _result(step, "unchecked", "an equation of undefined names and a number: a condition or a value "
                                          "being solved, not an identity", label=step.first, category="condition")
    if not equation:
        return _inequality(step, full_left, full_right, scope, full, where)
    full_check = witness.compare(full_left, full_right, full, _integers(scope, full), seed=where)
    if full_check.differ:
        plain_check = witness.compare(plain_left, plain_right, plain, _integers(scope, plain), seed=where)
        special = bool(line.special_case) and not _condition_applies(line, step)
        plain_holds = plain_check.agree and not plain_check.differ  # a reading (without definitions) where it holds
        named = step.left.node.base if isinstance(step.left.node, tree.Pow) else step.left.node  # σ_t² after σ_t = …
        defined_again = (step.first and definable(step.left.node) and scope.defined_before(named, where)
                         and not line.derived)
        defined_twice = (bool(_defined_twice(step, scope, where)) and not _defined_on_its_line(step, line, scope, where)
                         and not _differs_under_every_definition(step, line, scope, where))
        one_sided = "" if _written_number(step) else _one_sided(
            full_left, full_right, full, _step_indices(step, full) | _arguments_of_functions_used(step, full))
        approximate = "≈" in line.relations  # a chain of approximations: its = steps may be approximate too
        substituted = _values_not_fixed(step, full_left, full_right)
        ambiguous = any(isinstance(n, tree.Ambiguous) and any(isinstance(r, tree.MutualInfo) for _, r in n.readings)
                        for side in (step.left, step.right) for n in side.node.walk())  # I(X, Y): read by use only
        upper = (_upper_index(step, scope) or _own_constant(step, scope)
                 or ", ".join(side.text.strip() for side in (step.left, step.right) if _names_vanish(side)))
        chain = _chains(full_left, full_right, full)
        own_function = _own_function(step, line)
        on_laws = full_check.on_laws or (full_check.smooth and _differs_with_narrow_operators(step, line, scope, where))
        any_laws = (on_laws and not _random_on_one_side(full_left, full_right, full)
                    and not _vacuous_expectation(step) and not _mixed_factorisation(step)
                    and all(free_laws(side.node, scope, where) for side in (step.left, step.right))
                    and all(_of_laws(side, full) for side in (full_left, full_right))
                    and not _scalars(full_left, full_right, full)  # Z_p beside p̄: not a rule of every law
                 and witness.compare(full_left, full_right, full, _integers(scope, full), seed=where, iid=True).differ)
        # ... and it fails where the variables are independent and alike too: a law of any model assumed
        readings = full.opaque and all(laws.OTHER_READING in why for why in full.opaque)
        every_reading = full_check.flaggable and readings and _differs_in_every_reading(step, line, scope, where)
        rearranged = len(line.steps) > 1 and _rearranged(plain_left, plain_right, plain)
        if (rearranged and not plain_holds and not special and not approximate and not own_function
                and not substituted and not ambiguous and not chain):
            return _result(step, "disagrees", _REARRANGED,
                           f"left - right = {sympy.sstr(rearranged)}")
        if ((full_check.flaggable or any_laws) and (not full.opaque or every_reading) and not plain_holds
                and not special
                and not defined_again and not defined_twice and not one_sided and not approximate and not own_function
                and not substituted
                and not upper and not ambiguous):
            also = ("" if full_check.flaggable else " and where the variables are independent and alike") + (
                " (and in the other reading of the family's parameters)" if every_reading else "")
            return _result(step, "disagrees", f"the two sides differ {full_check.differ}{also}", full_check.differ)
        why = ("the display is stated under the condition " + line.special_case[0] if special else
               f"{step.left.text.strip()} is defined above; this line may define it anew" if defined_again else
               "it uses a name the document defines more than once" if defined_twice else
               f"{one_sided} {_RELATING}"
               if one_sided else "a step of a chain of approximations (≈)" if approximate else
               f"the numbers stand for {substituted}, which the document does not fix to numbers here" if substituted else
               "I(X, Y) with a comma, read by how its names are used: the text does not fix the reading"
               if ambiguous else
               f"{upper}: a superscript that may be an index, a letter the document defines, or names that vanish in "
               "the reading" if upper else
               f"{step.left.text.strip()} names a function of the document's own" if own_function else
               f"the chain {', '.join(chain)} read from the derivatives, with concrete functions" if chain else
               "; ".join(opaque) or full_check.why)
        return _result(step, "unchecked", f"differs on an instance ({why}): not flagged", full_check.differ)
    if full_check.agree:
        return _result(step, "unchecked", f"holds on {full_check.agree} instances"
                       + (f" ({'; '.join(opaque)})" if opaque else ""))
    return _result(step, "unchecked", f"not decided: {full_check.why}")


_REARRANGED = ("the step changes how terms that both sides contain are combined: it would need left - right = 0 "
               "between them, whatever they mean")


def _own_function(step: Step, line: Line) -> bool:
    """The first step writes a function of names on its left (σ(x) = …, tanh(x) = …): the document's own function,
    which a letter of the knowledge table may name too -- unless the prose before names the standard function that
    head spells (a cue of its row: "the logistic function relates to tanh: σ(x) = …"), a claim about it. Read the
    same with ``\\left(`` as with ``(``."""
    if not step.first or isinstance(step.left.node, _QUANTITIES):
        return False
    applied = _APPLIED_NAME.match(_SIZED.sub("", step.left.text))
    if applied is None and not (isinstance(step.left.node, tree.Fn)
                                and all(isinstance(a, tree.Name) for a in step.left.node.args)):
        return False
    head = applied.group(1) if applied else ""
    prose = line.statement.before.lower()
    return not any(head in f.latex and any(cue in prose for cue in f.cues) for f in knowledge.functions().values())


def _rearranged(left, right, meaning: operators.Meaning):
    """``left - right`` where a step of a chain only changes the numbers that combine parts both its sides
    contain (``A + B - 2C = A + B + 2C``), whatever the parts mean (names, applications, opaque constructs): a
    polynomial in them with nonzero numeric coefficients and no constant term. No rule relates a part to itself,
    so the step needs a relation the document does not state. One part alone counts only where both sides have
    several terms: ``E[X] = -E[X]`` is how a symmetry argument shows a mean is zero. A reading that took laws
    (a sum of a density read as 1: the parts then mean something already) is not judged so. Else None."""
    if meaning.marginals:
        return None
    try:
        difference = sympy.expand(left - right)
        if difference == 0 or difference.is_number:
            return None
        parts = sympy.Poly(difference).gens
        if not all(left.has(part) and right.has(part) for part in parts):
            return None
        if len(parts) == 1 and min(len(sympy.Add.make_args(sympy.expand(side))) for side in (left, right)) < 2:
            return None
        poly = sympy.Poly(difference, *parts)
        if poly.coeff_monomial(1) != 0 or not all(c.is_number and c != 0 for c in poly.coeffs()):
            return None
        return difference
    except (sympy.PolynomialError, sympy.GeneratorsNeeded, TypeError, ValueError, AttributeError, RecursionError):
        return None


def _narrow(node: tree.Node) -> tree.Node:
    """A derivative before a product applied to its first factor only: ∂_θ log p · p as (∂_θ log p) p."""
    def narrow(part):
        if isinstance(part, tree.Deriv | tree.Grad) and isinstance(part.body, tree.Mul) and len(part.body.factors) > 1:
            first, *rest = part.body.factors
            return tree.Mul((dataclasses.replace(part, body=first), *rest))
        return part
    return tree.rebuilt(node, narrow)


def _differs_with_narrow_operators(step: Step, line: Line, scope: Scope, where: int) -> bool:
    """The step differs, nothing but laws smooth in its parameters chosen, with every derivative before a product
    read as applied to the first factor only, too (at a random law and an i.i.d. one): how far a ∂ or ∇ reaches is
    then no reading the flag rests on."""
    narrowed = dataclasses.replace(step, left=dataclasses.replace(step.left, node=_narrow(step.left.node)),
                                   right=dataclasses.replace(step.right, node=_narrow(step.right.node)))
    found = _compared(narrowed, line, scope, where)
    if found is None:
        return False
    other, (left, right, meaning) = found
    return (bool(other.differ) and (other.on_laws or other.smooth) and not meaning.opaque
            and bool(witness.compare(left, right, meaning, _integers(scope, meaning), seed=where, iid=True).differ))


def _differs_in_every_reading(step: Step, line: Line, scope: Scope, where: int) -> bool:
    """The step differs with a family's parameters read the other way the notes use (Exp(λ) by its scale, N(μ, s)
    by a standard deviation) too, nothing chosen for the document."""
    found = _compared(step, line, scope, where, family_reading=1)
    if found is None:
        return False
    other, (_, _, meaning) = found
    return bool(other.differ) and other.flaggable and not meaning.opaque


def _compared(step: Step, line: Line, scope: Scope, where: int, **reading):
    """The step's meaning with its definitions, read as ``reading`` says (_meaning's options), compared on
    instances: (Comparison, (left, right, meaning)), or None where a definition in force is not read."""
    try:
        left, right, meaning = _meaning(step, line, scope, where, expand=True, **reading)
    except operators.Undecided:
        return None
    return witness.compare(left, right, meaning, _integers(scope, meaning), seed=where), (left, right, meaning)


def _printed(node: tree.Node) -> int | None:
    """The decimals a printed number carries: 0.61 has 2; 3.33 · 10^{-3} has 5 (scientific notation); None for a
    node that is not a printed number."""
    if isinstance(node, tree.Num) and node.decimals:
        return node.decimals
    if isinstance(node, tree.Mul) and len(node.factors) == 2:
        mantissa = next((f for f in node.factors if isinstance(f, tree.Num) and f.decimals), None)
        power = next((f for f in node.factors if f is not mantissa), None)
        if mantissa is not None and isinstance(power, tree.Pow) and power.base == tree.Num(10) and isinstance(
                power.exponent, tree.Num) and power.exponent.value.denominator == 1:
            return mantissa.decimals - power.exponent.value.numerator
        if mantissa is not None and isinstance(power, tree.Num) and not power.decimals:  # 10^{-3} read as 1/1000
            exponent = sympy.log(sympy.Rational(power.value.numerator, power.value.denominator), 10)
            if exponent.is_Integer:
                return mantissa.decimals - int(exponent)
    return None


def _decimals(node: tree.Node) -> list[int]:
    """The decimals of every printed number of ``node`` (a number in scientific notation counted once)."""
    printed = _printed(node)
    if printed is not None:
        return [printed]
    return [d for part in node.parts() for d in _decimals(part)]


def _printed_numbers(step: Step, left, right) -> StepResult | None:
    """Both sides numbers, some printed with decimals (``e^{-1/2} = 0.61``, ``0.5 \\cdot 0.22 ≈ 0.11``), judged to
    the printed digits. A side that is one printed number must be the other side rounded or truncated to its
    digits (the other side's numbers taken as given); otherwise every printed number may be off by half a unit
    of its last digit: within that the line holds, beyond ten times that it is a slip, in between unchecked.
    None when the step is not of printed numbers."""
    decimals = _decimals(step.left.node) + _decimals(step.right.node)
    if not decimals or step.relation not in ("=", "≈") or not (sympy.sympify(left - right).is_number):
        return None
    try:
        a, b = sympy.N(left, 30), sympy.N(right, 30)
    except (TypeError, ValueError):
        return None
    if not all(v.is_real and v.is_finite for v in (a, b)):
        return None
    evidence = f"{sympy.N(a, 10)} vs {sympy.N(b, 10)}"
    lone = [(node, exact, printed) for node, exact, printed in ((step.right.node, a, b), (step.left.node, b, a))
            if _printed(node) is not None]
    if lone:
        node, exact, printed = lone[0]
        unit = sympy.Float(10) ** -_printed(node)
        truncated = sympy.Float(int(exact / unit)) * unit
        if abs(exact - printed) <= unit / 2 * (1 + sympy.Float(10) ** -12) or abs(truncated - printed) < unit / 1000:
            return _result(step, "proved", f"{sympy.N(exact, 10)} rounds or truncates to the printed "
                                           f"{sympy.N(printed, 10)}")
        return _result(step, "disagrees", f"the exact value {sympy.N(exact, 10)} is neither rounded nor truncated to "
                                          f"the printed {sympy.N(printed, 10)}", evidence)
    unit = sympy.Float(10) ** -min(decimals)
    tolerance = unit / 2 * len(decimals)
    gap = abs(a - b)
    if gap <= tolerance * (1 + sympy.Float(10) ** -12):
        return _result(step, "proved", f"{sympy.N(a, 10)} agrees with {sympy.N(b, 10)} to the printed digits")
    if gap > 10 * tolerance:
        return _result(step, "disagrees", f"the numbers differ beyond their printed digits: {evidence}", evidence)
    return _result(step, "unchecked", f"differs in the last printed digits ({sympy.N(a, 8)} vs {sympy.N(b, 8)}): "
                                      "rounding, not flagged", evidence)


def _proportional(step: Step, line: Line, left, right, meaning: operators.Meaning) -> StepResult:
    """a ∝ b in a variable of the densities written (p(θ | D) ∝ p(D | θ) p(θ): in θ), those of the line's first
    density first: proved in the first variable both sides depend on whose ratio a / b is free of it."""
    first = line.steps[0].left.node if line.steps and line.steps[0].left.node is not None else step.left.node
    densities = [n for node in (first, step.left.node, step.right.node) for n in node.walk()
                 if isinstance(n, tree.Density)]
    candidates = list(dict.fromkeys(v for d in densities for v in d.variables + d.given if isinstance(v, tree.Name)))
    if not candidates:
        return _result(step, "unchecked", "a proportionality whose variable is not written: not judged",
                       category="approximation")
    try:
        ratio = sympy.simplify(laws.normal(left / right, meaning) if meaning.marginals else left / right)
    except (TypeError, ValueError, NotImplementedError, AttributeError, RecursionError):
        ratio = None
    for name in candidates:
        variable = operators.unfold(name, meaning)
        both = all(sympy.sympify(side).has(variable) for side in (left, right))
        if ratio is not None and ratio != 0 and both and not ratio.has(variable):
            return _result(step, "proved", f"proportional in {name.latex}: the ratio of the sides is free of it")
    names = ", ".join(n.latex for n in candidates)
    return _result(step, "unchecked", f"a proportionality in {names} not shown: not judged", category="approximation")


def _one_sided(left, right, meaning: operators.Meaning, indices: set) -> str:
    """A name of the document free on one side only (after the definitions in force), an indexed one included: the
    step relates it to the rest -- a definition, a condition or an equation to solve -- rather than stating an
    identity. ``indices``: the step's own indices and bounds, which may well stand on one side. "" when none."""
    def names(side):
        side = sympy.sympify(side)
        atoms = [a for a in side.atoms(AppliedUndef) if meaning.roles.get(a.func) == "indexed"]
        dummies = {a: sympy.Dummy() for a in atoms}  # a Dummy, not 1: a derivative by f_k stays a derivative
        outside = side.xreplace(dummies).free_symbols - set(dummies.values())  # Z_p: p only indexes Z
        return (outside | {a.func for a in atoms}) - meaning.random - indices  # x_t, x_{t-1}: one x
    sides = [names(s) for s in (left, right)]
    if not (sides[0] or sides[1]):
        return ""
    if sides[0] ^ sides[1]:  # -μ² + (μ²τ + 1)/τ is 1/τ: a name that cancels is no name of the side
        try:
            sides = [names(sympy.cancel(s)) for s in (left, right)]
        except (sympy.PolynomialError, TypeError, ValueError):
            pass
    lonely = sorted(str(v) for v in sides[0] ^ sides[1] if not str(v).startswith("⟨"))
    return ", ".join(lonely)


def _arguments_of_functions_used(step: Step, meaning: operators.Meaning) -> set:
    """The symbols of the arguments of the functions the step uses by a definition in force (∂f/∂x = y with
    f(x, y) = x + y: y is an argument of f, on the left too, though the derivative drops it)."""
    heads = {n.head.latex if isinstance(n, tree.Apply) else n.latex for side in (step.left, step.right)
             for n in side.node.walk() if isinstance(n, tree.Apply | tree.Name)}
    return {meaning.symbol(a) for (head, _), (arguments, _) in meaning.functions.items() if head in heads
            for a in arguments}


def _values_not_fixed(step: Step, left, right) -> str:
    """A step from names to the numbers written for them (α + h = 2 + 6: two numbers or more) whose names the definitions in force do not
    all fix to numbers (α = β = 2 in a list of examples above): the author's values are not in the scope, so a
    difference there is no error. The names left free ("" when the numbers are checkable)."""
    numbers = [side.text for side in (step.left, step.right) if not tree.names_in(side.node)]
    if not numbers or written_numbers(numbers[0]) < 2:  # = 0, = 8: a result claimed, not values written in
        return ""
    free = set().union(*(sympy.sympify(side).free_symbols for side in (left, right)))
    return ", ".join(sorted(str(s) for s in free))


def _written_number(step: Step) -> bool:
    """A side written as a number alone (γ_n - a_n γ_{n-1} = 0): whether the step is an equation to solve is told by
    what the document defines (:func:`_one_unknown`), not by where its names stand."""
    return any(not tree.names_in(side.node) for side in (step.left, step.right))


def _step_indices(step: Step, meaning: operators.Meaning) -> set:
    """The symbols of the names the step uses as indices or as bounds of its sums and products."""
    found = index_names(step.left.node) | index_names(step.right.node)
    return {meaning.symbol(tree.Name(latex)) for latex in found}


def _scalars(left, right, meaning: operators.Meaning) -> bool:
    """Names other than random variables and bound indices in a step of laws (a normaliser Z, a parameter)."""
    for side in (left, right):
        side = sympy.sympify(side)
        if side.free_symbols - meaning.random - {meaning.symbols.get("⟨K⟩")}:  # the support's size is no name
            return True
        if any(meaning.roles.get(a.func) in ("indexed", "function") for a in side.atoms(AppliedUndef)):
            return True
    return False


def _mixed_factorisation(step: Step) -> bool:
    """A side that writes a conditional of one law and a marginal of another over the variables it is given
    (q(a | s) p(s), even where p(s) / p(s) cancels in the reading): a joint law the document builds from two laws
    -- its model (a context p_θ and q share), which random finite laws, each with its own marginals, do not keep."""
    for side in (step.left, step.right):
        conditionals = [d for d in side.densities if isinstance(d, tree.Density) and d.given]
        marginals = [(d.head, d.variables) for d in side.densities if isinstance(d, tree.Density) and not d.given] + [
            (d.head, d.args) for d in side.densities if isinstance(d, tree.Apply)]  # r(s): a law, or a weight of s
        if any(head != c.head and set(variables) <= set(c.given) for c in conditionals for head, variables in marginals):
            return True
    return False


def _vacuous_expectation(step: Step) -> bool:
    """An expectation under a law whose variables its body never names (E_{q(z | x)}[log p(x, Z)]): a constant
    taken out, or the law's variable under another name -- which, the text does not say: no rule of laws."""
    for side in (step.left, step.right):
        for n in side.node.walk():
            if isinstance(n, tree.Expect) and n.law is not None:
                law = n.law.density if isinstance(n.law, tree.Law) and n.law.density is not None else n.law
                variables = set(_variables(law)) if isinstance(law, tree.Density | tree.Apply) else set()
                if variables and not variables & tree.names_in(n.body):
                    return True
    return False


def _random_on_one_side(left, right, meaning: operators.Meaning) -> set:
    """The random variables standing at a value (not summed out) on one side only: the step relates them, or a
    name is not the variable it was meant to be (E_{q(z)}[log p(x, Z)]: Z is not z), so no rule of laws is read."""
    free = [sympy.sympify(side).free_symbols & meaning.random for side in (left, right)]
    return free[0] ^ free[1]


def _of_laws(side, meaning: operators.Meaning) -> bool:
    """A side that speaks of laws (a density, an expectation, a divergence …): a rule of probability compares two
    such sides; a side without one is a closed form of some family, which a random finite law does not test."""
    return any(isinstance(a, AppliedUndef) and a.func in meaning.marginals for a in sympy.preorder_traversal(side))


def _condition_applies(line: Line, step: Step) -> bool:
    """The special case the prose sets gives a value to a name the step uses (so the step was judged under it)."""
    used = tree.names_in(step.left.node) | tree.names_in(step.right.node)
    return bool(line.special_case[1]) and all(name in used for name, _ in line.special_case[1])


def _integers(scope: Scope, meaning: operators.Meaning) -> set:
    """The symbols of the names the scope types as integers, and the sizes of ranges the document leaves open."""
    return {meaning.symbol(tree.Name(latex)) for latex in scope.integers} | meaning.ranges


def _one_unknown(step: Step, scope: Scope, where: int, variables: set = frozenset()) -> bool:
    """One side a number, the other an expression in names the document does not define (``2 \\sigma^2 = 1``,
    ``\\sum_k \\alpha_k = 1``): an equation to solve or a constraint, not an identity. ``variables``: the names the
    line differentiates by, undefined here whatever a definition above says (d/dv h(v) = 4v^3 + 2 = 0 below v = 1)."""
    for a, b in ((step.left.node, step.right.node), (step.right.node, step.left.node)):
        unknowns = _unknowns(b)
        if tree.names_in(a) or not unknowns or any(isinstance(n, _LAWS) for n in b.walk()):
            continue  # E_q[∂ log q] = 0: a claim about a law, its names the law's variables
        if not any(scope.defined_before(n, where) and n not in variables for n in unknowns):
            return True
        if len(unknowns) == 1 and not step.chain:  # 2 w^3 + w + 5 = 0: an equation in w, whatever w was above
            return True
        if isinstance(b, tree.Mul | tree.Pow | tree.Name):  # \beta_2 = 0.95, eps = 10^{-5}: a value given
            return True
    return False

def _unknowns(node: tree.Node) -> set:
    """The names of ``node`` that are not only indices or bound indices."""
    indices = {i for n in node.walk() if isinstance(n, tree.Name) for i in n.index}
    bound = ({n.index for n in node.walk() if isinstance(n, tree.Sum | tree.Prod)}
             | {n.variable for n in node.walk() if isinstance(n, tree.Integral | tree.Limit | tree.Opt)}
             | {v for n in node.walk() if isinstance(n, tree.Law) for v in n.at})
    found = set()
    for n in node.walk():
        if isinstance(n, tree.Name) and n not in indices and n not in bound:
            found.add(n)
    return found


def _range(step: Step) -> str:
    """``λ > 0``, ``0 ≤ X ≤ N``, ``P(x) > 0``: an inequality with a name (or one value of a function) alone on a
    side that the other side does not use states its range -- an assumption or a condition. In a chain only a
    bound that is a number or a name, or the first step, is. The lone side as written, or ""."""
    for lone, other in ((step.left, step.right), (step.right, step.left)):
        alone = isinstance(lone.node, tree.Name | tree.Apply | tree.Density)
        if not alone or lone.node in set(other.node.walk()):
            continue
        simple = isinstance(other.node, tree.Num | tree.Name | tree.Const) or (
            isinstance(other.node, tree.Mul) and len(other.node.factors) == 2
            and any(isinstance(f, tree.Num) for f in other.node.factors))  # -1, 2 L
        if simple or not step.chain or (step.first and lone is step.left):
            return lone.text.strip()
    return ""


def _inequality(step: Step, left, right, scope: Scope, meaning: operators.Meaning, where: int) -> StepResult:
    lone = _range(step)
    if lone:
        return _result(step, "unchecked", f"a range stated for {lone} ({step.left.text.strip()} {step.relation} "
                                          f"{step.right.text.strip()}): an assumption or a condition, not an identity",
                       label=True, category="condition")
    difference = sympy.sympify(left - right)
    holds = {"≤": lambda v: v <= 0, "<": lambda v: v < 0, "≥": lambda v: v >= 0, ">": lambda v: v > 0}[step.relation]
    if difference.is_number:
        number = sympy.N(difference, 30)
        if number.is_real and holds(number):
            return _result(step, "proved", "proved: both sides are numbers")
    found = [value for value, _ in witness.values(difference, meaning, _integers(scope, meaning), seed=where)]
    if found and all(holds(v) for v in found):
        if meaning.marginals and not _scalars(left, right, meaning):  # laws only: every instance is a law
            return _result(step, "unchecked", f"holds on {len(found)} instances (random finite laws, exact "
                                              "probabilities)")
        return _result(step, "unchecked", f"holds at the {len(found)} instances tried (evidence, not proof: the "
                                          "ranges the document assumes are not known)")  # of numbers: a range
    if found and _fails_for_every_model(step, left, right, holds, scope, meaning, where):
        return _result(step, "disagrees", "fails at random finite laws, and where the variables are independent "
                                          "and alike (a law of every model the document may assume)")
    if found:  # an instance the document's assumptions (ranges, positivity) may exclude: never a flag here
        return _result(step, "unchecked", "an inequality that fails at an instance the document may exclude: "
                                          "not flagged", category="inequality")
    return _result(step, "unchecked", "an inequality not decided on instances")


def _fails_for_every_model(step: Step, left, right, holds, scope: Scope, meaning: operators.Meaning,
                           where: int) -> bool:
    """An inequality of laws only (each side a density, an expectation or an information quantity of laws the
    document leaves free, or a number) that fails at a random finite law and at an i.i.d. one, nothing else
    chosen: a finite law is also a density (constant on unit bins), so it fails for continuous laws as well."""
    if (not meaning.marginals or _scalars(left, right, meaning) or _random_on_one_side(left, right, meaning)
            or _vacuous_expectation(step) or meaning.opaque):  # u(R = 1 | v = 175): an event in a law's bracket,
        return False  # opaque -- the same part on both sides is the same value, and nothing more: never a flag
    if not all(free_laws(side.node, scope, where) for side in (step.left, step.right)):
        return False
    if not all(_of_laws(side, meaning) or sympy.sympify(side).is_number for side in (left, right)) or not any(
            _of_laws(side, meaning) for side in (left, right)):  # 0 < 0 of two numbers is no rule of laws
        return False
    difference, integers = sympy.sympify(left - right), _integers(scope, meaning)
    for iid in (False, True):
        found = witness.values(difference, meaning, integers, seed=where, iid=iid)
        if not any(not holds(value) and choices <= {"laws"} for value, choices in found):
            return False
    return True


def with_time_limit(seconds: float, line: Line, scope: Scope) -> list[StepResult]:
    try:
        with symbolic.time_limit(seconds):
            return judge_line(line, scope)
    except symbolic.SymPyTimeout:
        return [StepResult("", line.text, "", "unchecked", "chain",
                           f"the statement took over its time limit of {seconds:g} s")]
