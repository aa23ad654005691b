r"""The least-squares and ridge estimates in matrix form, read by structure: ``\hat\beta = (X^\top X)^{-1}X^\top y``.

A lecture on linear regression writes the minimiser of ``\|y - X\beta\|^2`` (plus ``c\|\beta\|^2`` for ridge, a
Gaussian prior or MAP) in its own letters: ``\hat{\mathbf w} = (\Phi^\top\Phi)^{-1}\Phi^\top \mathbf t``,
``\theta_{\text{MAP}} = (X^TX + \lambda I)^{-1}X^Ty``, ``\beta(\alpha I + \beta\Phi^\top\Phi)^{-1}\Phi^\top t``. The
roles come from the structure of the right side, not from the letters: the design matrix is the letter that
appears as ``M^\top M``, the targets the one other vector.

The normal equations ``(M^\top M + cI)\,\hat b = M^\top v`` characterise the minimiser of ``\|v - Mb\|^2 + c\|b\|^2``
(c >= 0; c = 0 is least squares). The right side is evaluated in exact rational arithmetic on seeded random
instances (M of 5 x 3, full rank; v of 5 x 1; the other letters positive rationals) and the c it implies is
solved from ``c\,\hat b = M^\top v - M^\top M \hat b``:

* one c >= 0 solving it at every instance, free of M and v: **holds** on the instances (evidence, not a proof);
  the record names c (0: least squares);
* no such c at an instance (``-(X^\top X)^{-1}X^\top y``, ``(X X^\top)^{-1}``-shaped products that do not reduce,
  ``(X^\top X - \lambda I)^{-1}`` with c < 0): a **flag**, with the instance and both vectors.

Gates: the text around says least squares, linear regression, normal equations, ridge, or MLE/MAP; the left
side is an estimate (an accent, a star or a word subscript); weights (``W``), a third matrix or vector, or
generalised/weighted/iteratively reweighted least squares keep the statement to the other checks.
"""

from __future__ import annotations

import random
import re
import sympy

from derivspec.scan import matrices
from derivspec.scan.steps import StepResult, known_result

RECOGNISED = {  # what this module reads (the recognisers page, derivspec/app/docs.py)
    "least-squares": r"$\hat\beta = (X^\top X)^{-1}X^\top y$, $(X^\top X + \lambda I)^{-1}X^\top y$ in any letters "
                     r"(the design matrix is the letter in $M^\top M$): checked against the normal equations "
                     r"$(M^\top M + cI)\hat b = M^\top v$ for one $c \ge 0$ on exact random instances",
}
_PROSE = re.compile(r"least[- ]squares?|\bOLS\b|normal equations?|linear regression|ridge|\bMLE\b|\bMAP\b|"
                    r"maximum[- ]likelihood|a[- ]posteriori|regulari[sz]", re.I)
_NOT_PLAIN = re.compile(r"weighted|generali[sz]ed least|\bGLS\b|\bIRLS\b|reweighted|logistic|lasso|\\ell_1|"
                        r"pseudo[- ]?inverse", re.I)
_ESTIMATE = re.compile(r"^\s*(?:\\(?:hat|widehat|tilde)\s*\{?.+|.+\^\s*\{?\s*\*\s*\}?|"
                       r".+_\s*\{?\s*(?:\\(?:text|mathrm|rm)\s*\{)?\s*(?:MLE|ML|LS|OLS|MAP|ridge|RR)\s*\}?\s*\}?)\s*$")
_TRANSPOSE = r"(?:\^\s*\{?\s*(?:\\top|T|\\intercal|\\mathsf\{T\}|\\mathrm\{T\})\s*\}?|')"
_FONT = r"\\(?:mathbf|boldsymbol|bm|vec|mat|mathit|mathsf|bf|overrightarrow|underline)"  # a decoration of one name
_NAME = r"(?:\{\s*)?(?:" + _FONT + r"\s*\{?\s*(\\?[A-Za-z]+)\s*\}?|(\\[A-Za-z]+|[A-Za-z]))(?:\s*\})?"  # {\mathbf{X}} too
_GRAM = re.compile(_NAME + r"\s*" + _TRANSPOSE + r"\s*" + _NAME)
ROWS, COLUMNS, DRAWS = 5, 3, 3
ENTRIES = range(-3, 4)


def _letters(text: str) -> tuple[str, str] | None:
    r"""(design matrix, targets) by structure: the letter in ``M^\top M`` and the other letter after ``M^\top``."""
    grams = {(a or b, c or d) for a, b, c, d in _GRAM.findall(text)}
    design = {m for m, n in grams if m == n}
    if len(design) != 1:
        return None
    m = design.pop()
    targets = {n for first, n in grams if first == m and n != m}
    return (m, targets.pop()) if len(targets) == 1 else None


def _plain(text: str, design: str, targets: str) -> str | None:
    """The text with the two roles written as the plain letters X and y for the matrix reader (bold or Greek in
    the lecture); None when X or y already stands for something else there."""
    def rename(t: str, name: str, letter: str) -> str:
        t = re.sub(_FONT + r"\s*\{?\s*" + re.escape(name) + r"\s*\}?", letter, t)
        return re.sub(r"(?<![\\A-Za-z])" + re.escape(name) + r"(?![A-Za-z])", letter, t)
    out = rename(rename(text, design, "⟨M⟩"), targets, "⟨v⟩")
    if re.search(r"(?<![\\A-Za-z])[Xy](?![A-Za-z])", out):
        return None
    return out.replace("⟨M⟩", "X").replace("⟨v⟩", "y")


def _instance(rng: random.Random) -> dict:
    """A design matrix of full column rank and a target vector, small integers."""
    while True:
        design = sympy.Matrix(ROWS, COLUMNS, lambda i, j: rng.choice(ENTRIES))
        if design.rank() == COLUMNS:
            return {"X": design, "y": sympy.Matrix(ROWS, 1, lambda i, j: rng.choice(ENTRIES))}


def _implied_penalty(estimate, design, targets):
    """The c with (MᵀM + cI) b = Mᵀv for the estimate b, or None when no single c solves it."""
    residual = design.T * targets - design.T * design * estimate
    if all(v == 0 for v in estimate):
        return None
    index = next(i for i, v in enumerate(estimate) if v != 0)
    c = residual[index] / estimate[index]
    return c if residual == c * estimate else None


def check_texts(left: str, relation: str, right: str, prose: str) -> StepResult | None:
    """The statement judged against the normal equations; None when it is not a least-squares estimate."""
    if relation != "=" or not _ESTIMATE.match(left) or not _PROSE.search(prose + " " + left):
        return None
    if _NOT_PLAIN.search(prose + " " + right):
        return None
    roles = _letters(right)
    if roles is None:
        return None
    text = _plain(right, *roles)
    if text is None:
        return None
    try:
        tree, scalars = matrices.read(text, matrices.DocumentTypes(frozenset({"X"}), frozenset({"y"})))
    except (matrices.NotRead, RecursionError):
        return None
    if scalars & matrices.DIMENSION_LETTERS or matrices._typed_leaves(tree) != {("matrix", "X"), ("vector", "y")}:
        return None  # a dimension, or a third matrix or vector (weights, a prior mean), or a role unused
    result = known_result(relation, left, right, None, with_equations=True, on_matrices=True)
    design, targets = roles
    rng = random.Random(0)
    scalar_values = {name: sympy.Rational(rng.randint(1, 5), rng.randint(1, 3)) for name in sorted(scalars)}
    penalties = []
    for _ in range(DRAWS):  # the same scalars, new data: a ridge penalty does not depend on the data
        values = {**_instance(rng), **scalar_values}
        try:
            estimate = matrices._evaluate(tree, values, COLUMNS)
        except Exception:  # a singular product (X X^T is 5 x 5 of rank 3), a shape mismatch
            return None
        if not isinstance(estimate, sympy.MatrixBase) or estimate.shape != (COLUMNS, 1):
            return None
        c = _implied_penalty(estimate, values["X"], values["y"])
        if c is None or c < 0 or (penalties and c != penalties[0]):
            shown = ", ".join(f"{k} = {v}" for k, v in scalar_values.items())
            why = ("no c solves (MᵀM + cI) b = Mᵀv for the written b" if c is None
                   else f"the written b solves it only with c = {c} < 0, a negative penalty" if c < 0
                   else f"the c that solves it changes with the data ({penalties[0]}, then {c}): no fixed penalty")
            return result("disagrees",
                          f"not the least-squares or ridge estimate: reading {design} as the design matrix (it "
                          f"appears as {design}^\\top {design}) and {targets} as the targets, the minimiser of "
                          f"\\|{targets} - {design} b\\|^2 + c\\|b\\|^2 (c >= 0) solves the normal equations "
                          f"({design}^\\top {design} + cI) b = {design}^\\top {targets}; {why}",
                          f"with {design} = {matrices._show(values['X'])}, {targets} = "
                          f"{matrices._show(values['y'])}{', ' + shown if shown else ''}: the written side is "
                          f"{matrices._show(estimate)}",
                          rf"({design}^\top {design}{' + cI' if scalars else ''})^{{-1}} {design}^\top {targets}")
        penalties.append(c)
    what = ("least squares (c = 0)" if penalties[0] == 0
            else f"ridge with the penalty c = {penalties[0]} at the scalars drawn")
    return result("unchecked", f"holds on {DRAWS} exact instances as {what}: reading {roles[0]} as the design "
                               f"matrix and {roles[1]} as the targets, the written side solves the normal equations "
                               f"({roles[0]}^\\top {roles[0]} + cI) b = {roles[0]}^\\top {roles[1]} (evidence, not a "
                               f"proof)")


def check(left, relation: str, right, context) -> StepResult | None:
    return check_texts(left.text, relation, right.text, f"{context.prose} {context.statement}")

