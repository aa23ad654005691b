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
