r"""Expectations of one random variable evaluated on finite distributions (derivspec/scan/expectations.py):
Jensen's inequality with an undefined convex or concave function, in any letters; its planted twins flagged
with the concrete function and the distribution in the evidence; equations that a restricted variable
satisfies are not flagged. Every document is written here."""

from __future__ import annotations

import pytest

from scanning import scan_text

LETTERS = [("f", "X"), ("g", "V"), (r"\psi", "Z")]


def _records(tmp_path, lead: str, statements: list[str]) -> dict:
    text = f"# J\n\n{lead}\n\n" + "".join(f"$${s}$$\n\n" for s in statements)
    return {r.text.strip(): r for r in scan_text(tmp_path, text)}


@pytest.mark.parametrize("f, x", LETTERS)
def test_jensen_with_an_undefined_convex_function_holds_and_its_reversal_is_flagged(tmp_path, f, x):
    right = rf"{f}(\mathbb{{E}}[{x}]) \le \mathbb{{E}}[{f}({x})]"
    wrong = right.replace(r"\le", r"\ge")
    records = _records(tmp_path, f"Let ${f}$ be a convex function and ${x}$ a random variable. Then", [right, wrong])
    assert records[right].verdict == "unchecked" and records[right].reason.startswith("holds on 12 instances")
    flag = records[wrong]
    assert flag.verdict == "disagrees", flag.reason
    assert f"{f}(x) = x^2" in flag.evidence and f"P({x} = " in flag.evidence  # the concrete function and the law
    # recompute the evidence: the distribution shown breaks f(E[X]) >= E[f(X)] for f(x) = x^2
    import re
    from fractions import Fraction
    law = [(Fraction(v), Fraction(p)) for v, p in re.findall(rf"P\({re.escape(x)} = ([\d/]+)\) = ([\d/]+)", flag.evidence)]
    assert sum(p for _, p in law) == 1
    mean = sum(v * p for v, p in law)
    assert mean ** 2 < sum(v * v * p for v, p in law)


def test_a_concave_function_reverses_the_inequality(tmp_path):
    right, wrong = r"h(\mathbb{E}[Y]) \ge \mathbb{E}[h(Y)]", r"h(\mathbb{E}[Y]) \le \mathbb{E}[h(Y)]"
    records = _records(tmp_path, "Let $h$ be concave.", [right, wrong])
    assert records[right].verdict == "unchecked" and "holds on" in records[right].reason
    assert records[wrong].verdict == "disagrees" and "h(x) = \\log x" in records[wrong].evidence


def test_with_no_property_stated_jensen_is_not_judged(tmp_path):
    """No convexity stated: a line satisfies both directions, a concave function breaks one -- no flag."""
    statement = r"f(\mathbb{E}[X]) \ge \mathbb{E}[f(X)]"
    records = _records(tmp_path, "Let $X$ be a random variable.", [statement])
    assert records[statement].verdict != "disagrees"


def test_known_functions_and_moments(tmp_path):
    right = [r"\log \mathbb{E}[X] \ge \mathbb{E}[\log X]", r"\mathbb{E}[X^2] \ge \mathbb{E}[X]^2"]
    wrong = [r"\log \mathbb{E}[X] \le \mathbb{E}[\log X]", r"\mathbb{E}[X]^2 \ge \mathbb{E}[X^2]"]
    records = _records(tmp_path, "For a positive random variable $X$:", right + wrong)
    assert all(records[s].verdict == "unchecked" and "holds on" in records[s].reason for s in right)
    assert all(records[s].verdict == "disagrees" and "P(X = " in records[s].evidence for s in wrong)


def test_a_restricted_or_declared_variable_is_not_flagged(tmp_path):
    """E[X^2] = E[X] holds for an indicator; E[X^2] = 1 for a declared standard normal: never a flag."""
    indicator = r"\mathbb{E}[X^2] = \mathbb{E}[X]"
    assert _records(tmp_path, "Let $X$ be an indicator, so", [indicator])[indicator].verdict != "disagrees"
    declared = r"\mathbb{E}[X^2] \ge 2 \mathbb{E}[X]^2"
    records = _records(tmp_path, r"Let $X \sim \mathcal{N}(0, 1)$.", [declared])
    assert records[declared].verdict != "disagrees"
    free = r"\mathbb{E}[X^2] \ge 2 \mathbb{E}[X]^2"  # the twin: no law, no restriction
    assert _records(tmp_path, "Let $X$ be a random variable.", [free])[free].verdict == "disagrees"


def test_a_bound_that_the_range_decides_is_not_flagged(tmp_path):
    """E[X] <= 1 for X in [0, 1]: X's range decides, not every distribution; where the text restricts X (an
    integer-valued X), positive rational instances make no flag -- the same step without it is flagged."""
    bound, integer = r"\mathbb{E}[X] \le 1", r"\mathbb{E}[X^2] \ge 2 \mathbb{E}[X]^2"
    assert _records(tmp_path, "Let $X$ be a random variable.", [bound])[bound].verdict != "disagrees"
    assert _records(tmp_path, "Let $X$ be an integer-valued random variable.", [integer])[integer].verdict != "disagrees"
    assert _records(tmp_path, "Let $X$ be a random variable.", [integer])[integer].verdict == "disagrees"  # the twin
