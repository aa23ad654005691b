"""The document scope's densities (scan/scope.py, issue 42 step 3): any letter is a density when
the document uses it as one, and none is because of its letter. Every document is written here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from derivspec.scan.scope import density_names, is_density
from scanning import scan_text

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("rename_letters", ROOT / "benchmarks" / "rename_letters.py")
rename_letters = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rename_letters)


@pytest.mark.parametrize("math, prose, names", [
    ([r"r(v \mid u)"], "", {"r"}),                                             # a conditioning bar
    ([r"\pi(a \vert s) = 1"], "", {r"\pi"}),
    ([r"\mathbb{E}_{s(w)}[f(w)]"], "", {"s"}),                                 # the law of an expectation
    ([r"\mathbb{E}_{x \sim \rho}[x]"], "", {r"\rho"}),
    ([r"z \sim h_\psi(z)"], "", {r"h_\psi"}),                                  # a draw
    ([r"KL(a \| b) = \sum_x a(x) \log \frac{a(x)}{b(x)}"], "", {"a", "b"}),    # a divergence of applied names
    ([r"H = -\sum_x g(x) \log g(x)"], "", {"g"}),                              # weights a log of itself
    ([r"\int k(y)\, dy = 1"], "", {"k"}),                                      # integrates to one
    ([], "For distributions $u$ and $w$ on a finite set", {"u", "w"}),          # in words
    ([], "$t(x)$ is a probability density", {"t"}),                           # not x
    ([], "Notation: $p,q_\\theta$ are probability distributions", {"p", r"q_\theta"}),
])
def test_a_name_is_a_density_by_its_use(math, prose, names):
    assert density_names(math, prose) == names


@pytest.mark.parametrize("math", [
    [r"f(x) = x^2 + 1"],                                       # a function, however applied
    [r"H(X \mid Y) = H(X, Y) - H(Y)"],                         # an entropy's bar: H is an operator
    [r"I(X; Y \mid Z) \ge 0"],
    [r"D_{JS}(P \| Q) = \frac12 KL(P \| M) + \frac12 KL(Q \| M)"],  # met only inside divergences, never applied
    [r"p = 0.3", r"\sum_i w_i x_i = 1"],
])
def test_no_name_is_a_density_by_its_letter(math):
    assert not density_names(math) & {"p", "q", "P", "Q", "M", "f", "H", "I", "w"}


def test_a_mixture_defined_from_densities_is_not_one_of_its_own():
    names = density_names([r"M = (P + Q)/2", r"KL(P \| M) + KL(Q \| M)", r"P(x) + Q(x) = 2 M(x)"])
    assert "M" not in names and {"P", "Q"} <= names
    # a density written as its own normalised form stays one
    assert "p" in density_names([r"p = \bar{p} / Z_p", r"KL(q \| p) = \sum_d q(d) \log \frac{q(d)}{p(d)}"])


def test_case_subscripts_and_families():
    assert is_density("P", frozenset({"p"})) and is_density("p_{data}", frozenset({"p"}))
    assert is_density("p", frozenset({r"p_\theta"})) and is_density(r"\mathbf{p}_{\theta}", frozenset({r"p_\theta"}))
    assert not is_density("p_•", frozenset({"p"}))  # p_i of a family indexed by a summation
    assert not is_density("q", frozenset({"p"})) and not is_density("q", frozenset())


BAYES = ("Let $p$ be a joint distribution of $x$ and $z$.\n\n"
         "$$\np(z \\mid x) = \\frac{p(x \\mid z) p(z)}{p(x)}\n$$\n\n"
         "$$\np(x) = \\sum_z p(x, z)\n$$\n\n"
         "$$\np(z \\mid x) = \\frac{p(x \\mid z) p(x)}{p(z)}\n$$\n")


def test_probability_calculus_in_any_letters_gives_the_same_verdicts(tmp_path):
    """Bayes' rule, the sum rule and a planted slip (p(x)/p(z) for p(z)/p(x)): proved, proved, flagged,
    as written and with the letters renamed (p -> pi, then p -> rho with z -> w)."""
    original = [(r.lines[0], r.verdict) for r in scan_text(tmp_path, BAYES)]
    assert original == [(4, "proved"), (8, "proved"), (12, "disagrees")]
    for mapping in ({"p": r"\pi", "x": "u", "z": "v"}, {"p": r"\rho", "z": "w"}):
        renamed, _ = rename_letters.rename(BAYES, mapping=mapping)
        assert [(r.lines[0], r.verdict) for r in scan_text(tmp_path, renamed)] == original, renamed


def test_a_letter_the_document_does_not_use_as_a_density_is_not_one(tmp_path):
    """r(x) a function of the document's own (no bar, no law, no divergence, no words): the
    statement is not read as probability calculus, so nothing about densities is flagged."""
    text = "Let $r(x) = x^2$.\n\n$$\n\\sum_x r(x) \\frac{s(x)}{r(x)} = \\sum_x s(x)\n$$\n"
    (record,) = [r for r in scan_text(tmp_path, text) if r.lines[0] == 4]
    assert record.verdict != "disagrees"
