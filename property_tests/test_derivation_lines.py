"""A derivation line is written, not computed by the call that checks it (DESIGN.md: a step is
*proved* or *computed*, never both). A line after the first may not be the output of a SymPy
operation (diff, solve, simplify, E, subs, ...): such a line proves nothing when the step's own
operation then checks it. Write the line as an instructor would, or mark it ``Computed``."""

import ast
from pathlib import Path

import pytest

DERIVATIONS = Path(__file__).resolve().parents[1] / "derivations"
OPERATIONS = {"diff", "integrate", "solve", "simplify", "expand", "E", "limit", "summation", "doit", "factor",
              "cancel", "together", "apart", "collect", "expand_log", "logcombine", "powsimp", "trigsimp",
              "subs", "xreplace", "gaussian_expectation", "mixture_expectation", "nsimplify", "radsimp"}


def _called_names(node) -> set[str]:
    names = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            func = call.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


def _step_expr(call: ast.Call):
    for keyword in call.keywords:
        if keyword.arg == "expr":
            return keyword.value
    return call.args[1] if len(call.args) > 1 else None


def later_steps(tree):
    """(line, expr node) of every Step(...) that is not the first element of a literal sequence."""
    first = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Tuple, ast.List)) and node.elts and isinstance(node.elts[0], ast.Call):
            first.add(id(node.elts[0]))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Step" and id(node) not in first
                and _step_expr(node) is not None):
            yield node.lineno, _step_expr(node)


FILES = sorted(DERIVATIONS.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(DERIVATIONS)) for p in FILES])
def test_no_line_is_computed_by_an_operation(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    offenders = [(line, sorted(_called_names(expr) & OPERATIONS)) for line, expr in later_steps(tree)
                 if _called_names(expr) & OPERATIONS]
    assert not offenders, f"{path.name}: lines computed by a SymPy operation (write them out or use Computed): {offenders}"


def test_the_rule_catches_a_self_proving_step():
    source = "derivation = (Step('start', f), Step('differentiate', sympy.diff(f, x), op=lambda e: sympy.diff(e, x)))"
    assert [sorted(_called_names(e) & OPERATIONS) for _, e in later_steps(ast.parse(source))] == [["diff"]]


# --- every operation acts on the line before it --------------------------------------------------


def _claims():
    from derivspec.core import registry

    return [registry.get(claim_id) for claim_id in registry.REGISTRY.ids()]


def test_every_operation_reads_the_line_before_it():
    from derivspec.core.derivation import reads_its_argument

    ignoring = [(claim.id, i + 1, step.why[:60]) for claim in _claims() for i, step in enumerate(claim.derivation)
                if step.op is not None and not step.computed and not reads_its_argument(step.op)]
    on_definitions = [claim.id for claim in _claims() if claim.derivation[0].op is not None]
    assert not ignoring, f"operations that ignore the previous line (use equals= for a second quantity): {ignoring}"
    assert not on_definitions, f"a first line is a definition, not the result of an operation: {on_definitions}"


def _three_lines(third_op, third_expr):
    from derivspec.core.claims import REAL, Claim, Step, Var

    x = Var("x", "x", REAL)
    return Claim(title="t", statement="s", variables=(x,), wrong_variants=(), derivation=(
        Step("definition", x.symbol),
        Step("square it", x.symbol**2, op=lambda e: e**2),
        Step("a third line", third_expr, op=third_op)))


def test_an_operation_that_ignores_the_previous_line_proves_nothing():
    from derivspec.core.derivation import IGNORES_PREVIOUS, check_derivation, symbolic_status

    import sympy

    x = sympy.Symbol("x", real=True)
    # x + 1 does not follow from x², but an op that ignores its argument used to "prove" it
    steps = check_derivation(_three_lines(lambda _: x + 1, x + 1))
    assert [s.status for s in steps] == ["definition", "proved", "undecided"] and steps[2].note == IGNORES_PREVIOUS
    assert symbolic_status(steps) == "undecided"
    # the same line with an operation that uses the previous line is shown wrong, with a point
    steps = check_derivation(_three_lines(lambda e: e + 1, x + 1))
    assert steps[2].status == "failed" and steps[2].counterexample
    # and a line that does follow is proved
    assert check_derivation(_three_lines(lambda e: e + 1, x**2 + 1))[2].status == "proved"


def test_equals_checks_a_second_quantity_too():
    import sympy

    from derivspec.core.claims import REAL, Claim, Step, Var
    from derivspec.core.derivation import check_derivation

    x = Var("x", "x", REAL)
    s = x.symbol

    def claim(second):
        return Claim(title="t", statement="s", variables=(x,), wrong_variants=(), derivation=(
            Step("definition", s**2), Step("expand", s * s, equals=second)))

    assert check_derivation(claim(sympy.diff(s**3, s) / 3))[1].status == "proved"
    assert check_derivation(claim(sympy.diff(s**3, s)))[1].status == "failed"
