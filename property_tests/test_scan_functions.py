"""``scan`` tries a step about a function the lecture leaves arbitrary with concrete functions
(derivspec/scan/functions.py, issue 24 part 5): flagged with the instance only when it fails for
f(x) = x, 2x + 1 and e^x alike; never when the document defines or describes the function, when
a derivative's scope is the reader's choice, or when the step relates two functions. Every
document is written for the test.
"""

from __future__ import annotations

import pytest
import sympy

from derivspec.scan import functions
from scanning import scan_text


def _records(tmp_path, body: str) -> dict:
    return {r.lines[0]: r for r in scan_text(tmp_path, "# Notes\n\n" + body, "doc.md", known=False)}


def _one(tmp_path, display: str, prose: str = "For a positive function of the parameter,"):
    records = _records(tmp_path, f"{prose}\n\n$${display}$$\n")
    (record,) = records.values()
    return record


WRONG = [  # (display, the kind of slip) in two notations: operator and prime
    (r"\nabla_\lambda \log f(\lambda) = \nabla_\lambda f(\lambda)", "log missing"),
    (r"\frac{d}{dx} \log g(x) = g'(x) g(x)", "ratio inverted"),
    (r"\frac{\partial}{\partial x} \left( h(x)^2 \right) = 2 h'(x)", "factor dropped"),
]
RIGHT = [
    r"\nabla_\lambda \log f(\lambda) = \frac{\nabla_\lambda f(\lambda)}{f(\lambda)}",
    r"\frac{d}{dx} \log g(x) = \frac{g'(x)}{g(x)}",
    r"\frac{\partial}{\partial x} \left( h(x)^2 \right) = 2 h(x) h'(x)",
]


@pytest.mark.parametrize("display, slip", WRONG)
def test_a_step_that_fails_for_every_concrete_function_is_flagged_with_the_instance(tmp_path, display, slip):
    record = _one(tmp_path, display)
    assert record.verdict == "disagrees", (slip, record.reason)
    assert "fails for every concrete function" in record.reason
    assert "(x) = x:" in record.evidence and "left = " in record.evidence  # the identity instance, redone by hand


@pytest.mark.parametrize("display", RIGHT)
def test_the_right_steps_are_not_flagged(tmp_path, display):
    assert _one(tmp_path, display).verdict != "disagrees"


@pytest.mark.parametrize("prose", ["Let $f$ be the squared loss. Then", "Here $f(\\lambda)$ denotes the loss, and"])
def test_a_function_the_document_describes_is_not_instantiated(tmp_path, prose):
    record = _one(tmp_path, r"\nabla_\lambda \log f(\lambda) = \nabla_\lambda f(\lambda)", prose)
    assert record.verdict == "unchecked"


def test_a_function_the_document_defines_in_a_display_is_not_instantiated(tmp_path):
    records = _records(tmp_path, "$$f(x) = x^2 + 1$$\n\nso\n\n$$\\frac{d}{dx} f(x) = 2 x$$\n")
    assert all(r.verdict != "disagrees" for r in records.values())


def test_a_property_the_simplest_functions_have_is_never_flagged(tmp_path):
    # f(x + y) = f(x) f(y) is what an exponential satisfies: a lecture assuming it is not wrong
    record = _one(tmp_path, r"f(x + y) = f(x) f(y)", "Suppose that")
    assert record.verdict != "disagrees"
    record = _one(tmp_path, r"\frac{d}{dx} \left( f(x) + f(x) \right) = f(x) + f'(x)", "We have")
    assert record.verdict != "disagrees"  # holds for e^x


def test_a_derivative_whose_scope_the_reader_chooses_is_not_flagged(tmp_path):
    # d/dλ log f(λ) × f(λ): the operator may take the product or its first factor
    record = _one(tmp_path, r"\frac{d}{d \lambda} f(\lambda) = \frac{d}{d \lambda} \log f(\lambda) \times f(\lambda)")
    assert record.verdict != "disagrees"


def test_a_relation_between_two_functions_is_not_instantiated():
    x = sympy.Symbol("x", real=True)
    f, g = sympy.Function("f"), sympy.Function("g")
    assert functions.free_function(f(x), sympy.Derivative(g(x), x)) is None  # g = f' may be a definition
    assert functions.free_function(f(x), x) == "f"
    assert functions.free_function(f(x), sympy.Function("p[|]")(x, x)) == "f"  # a density is not a function letter
    assert functions.free_function(f(x), defined=frozenset({"f"})) is None
    assert functions.free_function(f(x) * sympy.Symbol("f", real=True)) is None  # f also read as a number
    assert functions.free_function(sympy.Integral(f(x), x)) is None  # an antiderivative's constant


def test_concrete_functions_carry_primes_and_derivatives():
    x = sympy.Symbol("x", real=True)
    expr = sympy.Function("f'")(x) + sympy.Derivative(sympy.Function("f")(x), x) + sympy.Function("f")(2 * x)
    assert functions.concrete(expr, "f", "identity") == 2 + 2 * x
    assert functions.concrete(expr, "f", "linear") == 4 + 2 * (2 * x) + 1
    assert sympy.simplify(functions.concrete(expr, "f", "exponential") - (2 * sympy.exp(x) + sympy.exp(2 * x))) == 0


def test_document_defined_reads_sides_and_prose():
    found = functions.document_defined("Let $g$ be a network and $h(x)$ denotes the loss.", ["f(x)", "r", "a + b"])
    assert found == {"f", "g", "h", "r"}
