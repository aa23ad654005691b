"""``scan`` reads vectors and matrices as the document types them (derivspec/scan/matrices.py).

A probe set of false matrix and vector identities (wrong order of products, transposes and
inverses, a non-cyclic trace, a norm without orthogonality, det of a sum, (A+B)² with 2AB) must
never come out ``proved``; a set of true ones must never be flagged. Each document below is
written for the test: it declares its matrices and vectors in prose, as lecture notes do.
"""

from __future__ import annotations

import re

import pytest

from derivspec.scan.matrices import document_types
from derivspec.scan.runner import scan_path

DECLARATION = r"Let $A$, $B$ and $C$ be $n \times n$ invertible matrices, and let $x$ and $y$ be vectors."

FALSE = [
    r"(AB)^{-1} = A^{-1}B^{-1}", r"AB = BA", r"\operatorname{tr}(ABC) = \operatorname{tr}(BAC)",
    r"(A+B)^2 = A^2 + 2AB + B^2", r"(AB)^\top = A^\top B^\top", r"\|x+y\|^2 = \|x\|^2 + \|y\|^2",
    r"\det(A+B) = \det(A) + \det(B)", r"(A+B)^{-1} = A^{-1} + B^{-1}", r"(ABC)^\top = A^\top B^\top C^\top",
    r"(ABC)^{-1} = A^{-1}B^{-1}C^{-1}", r"(A-B)(A+B) = A^2 - B^2", r"(A+B)(A-B) = A^2 - B^2", r"ABA^{-1} = A^{-1}BA",
    r"A^{-1}BA = BA^{-1}A", r"\operatorname{tr}(AB) = \operatorname{tr}(A)\operatorname{tr}(B)", r"\det(2A) = 2\det(A)",
    r"\det(A^{-1}) = \det(A)", r"(A^\top)^{-1} = A^\top", r"x^\top A y = y^\top A x", r"(AB)^2 = A^2 B^2",
    r"A(B+C) = BA + CA", r"(A+B)^\top = A^\top - B^\top", r"\operatorname{tr}(A^\top B) = \operatorname{tr}(AB)",
    r"(x+y)^\top (x-y) = x^\top x - y^\top y + 2x^\top y", r"\|Ax\|^2 = x^\top A x", r"(A+I)^2 = A^2 + I",
    r"(A-I)(A+I) = A^2 + I", r"\det(AB) = \det(A) + \det(B)", r"\operatorname{tr}(A^2) = \operatorname{tr}(A)^2",
    r"\operatorname{tr}(ABA^\top) = \operatorname{tr}(AB)", r"(2A)^{-1} = 2A^{-1}", r"ABC = CBA", r"(A^2)^\top = A^2",
    r"x^\top (A+B) y = x^\top A y + y^\top B x", r"\|x\|^2 \|y\|^2 = (x^\top y)^2", r"A^\top A = A A^\top",
    r"(A^{-1}B)^{-1} = A B^{-1}", r"(AB^{-1})^\top = A^\top (B^\top)^{-1}", r"\det(A + I) = \det(A) + 1",
    r"A^{-1} + B^{-1} = (A+B)^{-1}", r"(A B)^{-1} A = A^{-1} B^{-1} A", r"\operatorname{tr}(ABC) = \operatorname{tr}(ACB)",
]

TRUE = [
    r"(AB)^{-1} = B^{-1}A^{-1}", r"(AB)^\top = B^\top A^\top", r"\operatorname{tr}(ABC) = \operatorname{tr}(CAB)",
    r"\operatorname{tr}(ABC) = \operatorname{tr}(BCA)", r"(A+B)^2 = A^2 + AB + BA + B^2",
    r"\|x+y\|^2 = \|x\|^2 + 2x^\top y + \|y\|^2", r"\det(AB) = \det(A)\det(B)", r"\det(A^\top) = \det(A)",
    r"(A^\top)^\top = A", r"(A^{-1})^{-1} = A", r"(A^\top)^{-1} = (A^{-1})^\top", r"A(B+C) = AB + AC",
    r"(A+B)C = AC + BC", r"(A+B)^\top = A^\top + B^\top",
    r"\operatorname{tr}(A+B) = \operatorname{tr}(A) + \operatorname{tr}(B)", r"\operatorname{tr}(AB) = \operatorname{tr}(BA)",
    r"\operatorname{tr}(A^\top) = \operatorname{tr}(A)", r"x^\top A y = y^\top A^\top x", r"x^\top y = y^\top x",
    r"(ABC)^\top = C^\top B^\top A^\top", r"(ABC)^{-1} = C^{-1}B^{-1}A^{-1}", r"A A^{-1} = I", r"A^{-1} A = I",
    r"(A-B)(A+B) = A^2 + AB - BA - B^2", r"\det(A^{-1}) = \frac{1}{\det(A)}", r"(2A)^{-1} = \frac{1}{2}A^{-1}",
    r"(A^2)^\top = (A^\top)^2", r"A^{-1}A^{-1} = (A^2)^{-1}", r"\|x\|^2 = x^\top x", r"\|Ax\|^2 = x^\top A^\top A x",
    r"(x+y)^\top (x-y) = x^\top x - y^\top y", r"x^\top A x = x^\top A^\top x",
    r"\operatorname{tr}(x y^\top) = x^\top y", r"(x y^\top)^\top = y x^\top", r"(A+I)^2 = A^2 + 2A + I",
    r"(A-I)(A+I) = A^2 - I", r"\operatorname{tr}(ABA^{-1}) = \operatorname{tr}(B)", r"\det(ABA^{-1}) = \det(B)",
    r"(A^{-1}B)^{-1} = B^{-1}A", r"x^\top (A+B) y = x^\top A y + x^\top B y", r"(I + A)^{-1}(I + A) = I",
    r"A^\top A = (A^\top A)^\top",
]


def _scan(tmp_path, identities: list[str], preamble: str = DECLARATION) -> dict[str, str]:
    """Each identity in its own display after the declaration; its verdict by identity."""
    lines = ["# Probe", "", preamble, ""]
    where = {}
    for identity in identities:
        where[len(lines) + 1] = identity
        lines += [f"$$ {identity} $$", ""]
    path = tmp_path / "probe.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    records = scan_path(path, workers=0, known=False, sources=False)
    return {where[r.lines[0]]: r for r in records if r.lines[0] in where}


def test_the_probe_sets_are_large_enough():
    assert len(FALSE) >= 40 and len(TRUE) >= 40 and not set(FALSE) & set(TRUE)


def test_no_false_matrix_identity_is_proved(tmp_path):
    records = _scan(tmp_path, FALSE)
    assert len(records) == len(FALSE)
    proved = [text for text, r in records.items() if r.verdict == "proved"]
    assert not proved, f"false matrix identities proved: {proved}"
    flagged = sum(r.verdict == "disagrees" for r in records.values())
    assert flagged >= 0.9 * len(FALSE), [(t, r.reason) for t, r in records.items() if r.verdict != "disagrees"]


def test_no_true_matrix_identity_is_flagged(tmp_path):
    records = _scan(tmp_path, TRUE)
    assert len(records) == len(TRUE)
    flagged = [(text, r.evidence) for text, r in records.items() if r.verdict == "disagrees"]
    assert not flagged, f"true matrix identities flagged: {flagged}"
    assert not [t for t, r in records.items() if r.verdict == "proved"], "instances are evidence, not a proof"
    assert all(r.to_json()["evidence_level"] == "holds on instances" for r in records.values() if r.reason.startswith("holds on")), \
        "agreement on matrix instances is the 'holds on instances' level"


def test_a_flag_carries_an_exact_counterexample(tmp_path):
    record = _scan(tmp_path, [r"AB = BA"])[r"AB = BA"]
    assert record.verdict == "disagrees" and "A = [[" in record.evidence and "B = [[" in record.evidence


def test_an_assumption_the_instances_do_not_model_keeps_the_statement_unchecked(tmp_path):
    preamble = r"Let $A$ and $B$ be symmetric $n \times n$ matrices that commute."
    record = _scan(tmp_path, [r"AB = BA"], preamble)[r"AB = BA"]
    assert record.verdict == "unchecked" and "commut" in record.reason


def test_definitions_updates_and_conditions_are_not_judged(tmp_path):
    """One side a single name (a definition, an update w = w - eta g), or an equation set to zero
    after prose that says so: never flagged, whatever the instances say."""
    preamble = DECLARATION + r" Let $W$ be a matrix and $v$ a vector."
    identities = [r"W = A B + C", r"v = A x + y", r"x = x - \eta A^\top (A x - y)", r"A B - B A = 0"]
    records = _scan(tmp_path, identities, preamble)
    assert all(r.verdict == "unchecked" for r in records.values()), {t: r.verdict for t, r in records.items()}


def test_a_statement_the_matrix_reader_cannot_read_is_its_one_by_one_case(tmp_path):
    """Read as scalars it is the 1x1 case: a scalar proof is not a proof, a scalar counterexample is one."""
    records = _scan(tmp_path, [r"\partial_{x} \|A x\|^2 = 2 A^\top A x", r"\partial_{x} \|A x\|^2 = A^\top A x"])
    assert all(r.verdict != "proved" for r in records.values())


@pytest.mark.parametrize("head", [r"\mathrm{tr}", r"\operatorname{tr}", r"\text{tr}", r"\mathrm{Tr}", r"\tr",
                                  r"\mathrm{diag}", r"\operatorname{det}"])
def test_a_matrix_function_of_undeclared_letters_is_no_scalar_proof(tmp_path, head):
    r"""With no declaration A, B, C are read as scalars; a trace, determinant or diagonal says its argument is a
    matrix, so a scalar proof is not a proof. \mathrm{tr}(ABC) = \mathrm{tr}(BAC) came out proved once (only \tr with
    a bracket marked the reading)."""
    false = rf"{head}(ABC) = {head}(BAC)"
    records = _scan(tmp_path, [false], preamble="Some algebra.")
    assert records[false].verdict == "unchecked" and "not proved for matrices" in records[false].reason


def test_letters_the_document_does_not_type_stay_scalars(tmp_path):
    records = _scan(tmp_path, [r"(a+b)^2 = a^2 + 2ab + b^2", r"ab = ba"], preamble="Let $a$ and $b$ be real numbers.")
    assert all(r.verdict == "proved" for r in records.values())


def test_a_transposed_letter_the_document_does_not_type_is_not_read_as_a_number(tmp_path):
    """x untyped (the text never says what it is): read as a number, x^T A x = x^T A^T x would be
    x^2 A = x^2 A^T and flagged, though it holds for the vector the lecture means. A transposed
    letter is no number: such a statement is never flagged (nor proved); declared ("let $x$ be a
    vector", or "$x$ a vector" in apposition), the same statements are judged as vectors."""
    preamble = r"Let $A$ and $B$ be $n \times n$ invertible matrices and take any $x$."
    true, false = r"x^\top A x = x^\top A^\top x", r"x^\top A B x = x^\top B A x"
    records = _scan(tmp_path, [true, false, r"x' A x = x' A^\top x"], preamble)
    assert all(r.verdict == "unchecked" for r in records.values()), {t: (r.verdict, r.reason) for t, r in records.items()}
    for typed in ("and let $x$ be a vector", "and $x$ a vector"):
        declared = _scan(tmp_path, [true, false], preamble.replace("and take any $x$", typed))
        assert declared[true].verdict == "unchecked" and "holds on" in declared[true].reason
        assert declared[false].verdict == "disagrees" and "x = [[" in declared[false].evidence


def test_a_declaration_after_the_statement_does_not_type_it():
    types = document_types("$$ AB = BA $$\n\nlater: let $A$, $B$ be matrices.\n")
    assert types.typed("AB = BA", line=1) == set() and types.typed("AB = BA", line=3) == {"A", "B"}


@pytest.mark.parametrize("declaration, matrices, vectors", [
    (r"Let $A$, $B$ be $n \times n$ matrices.", {"A", "B"}, set()),
    (r"where $W \in \mathbb{R}^{d \times k}$ and $x \in \mathbb{R}^d$", {"W"}, {"x"}),
    (r"where $A, B, C \in \mathbb{R}^{n \times n}$ and $u, v \in \mathbb{R}^n$", {"A", "B", "C"}, {"u", "v"}),
    (r"for vectors $u$ and $v$", set(), {"u", "v"}),
    (r"$\mathbf{X}$ is the design matrix", {"X"}, set()),
])
def test_declarations_in_prose_type_names(declaration, matrices, vectors):
    types = document_types(declaration)
    assert matrices <= types.matrices and vectors <= types.vectors


def _scan_then_declare(tmp_path, identities: list[str]) -> dict:
    """The identities first, the sentence that makes A, B, C matrices after them ("where ...")."""
    lines = ["# Probe", "", "Some algebra.", ""]
    where = {}
    for identity in identities:
        where[len(lines) + 1] = identity
        lines += [f"$$ {identity} $$", ""]
    lines += [r"where $A, B, C \in \mathbb{R}^{n \times n}$ are invertible matrices.", ""]
    path = tmp_path / "below.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return {where[r.lines[0]]: r for r in scan_path(path, workers=0, known=False, sources=False) if r.lines[0] in where}


@pytest.mark.parametrize("where", ["nowhere", "below"])
def test_no_false_matrix_identity_is_proved_untyped_or_typed_below(tmp_path, where):
    """(AB)^{-1} = A^{-1}B^{-1} came out proved with commuting numbers when the document typed A, B only
    below the formula, or not at all: capitals it inverts, transposes or takes det/tr of may be matrices."""
    records = _scan(tmp_path, FALSE, "Some algebra.") if where == "nowhere" else _scan_then_declare(tmp_path, FALSE)
    assert len(records) == len(FALSE)
    operated = re.compile(r"\^\\top|\^\{-1\}|\\det|\\operatorname\{tr\}")  # says its letters may be matrices
    proved = [text for text, r in records.items() if r.verdict == "proved" and (where == "below" or operated.search(text))]
    assert not proved, f"false matrix identities proved: {proved}"
    record = records[r"(AB)^{-1} = A^{-1}B^{-1}"]
    assert record.verdict == "unchecked" and "matrices" in record.reason


def test_true_identities_of_untyped_capitals_are_not_flagged(tmp_path):
    records = _scan(tmp_path, TRUE, "Some algebra.")
    flagged = [(text, r.reason) for text, r in records.items() if r.verdict == "disagrees"]
    assert not flagged, f"true matrix identities flagged: {flagged}"
    inverse = records[r"(AB)^{-1} = B^{-1}A^{-1}"]
    assert inverse.verdict in ("proved", "unchecked")
