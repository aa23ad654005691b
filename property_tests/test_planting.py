"""The run-time generator of planted errors (benchmarks/planting.py, issue 24): each kind makes
the one edit it names, after the statement's first relation, and declines where it does not
apply. Statements written for the test."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("planting", ROOT / "benchmarks" / "planting.py")
planting = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(planting)

CASES = [
    ("kl swapped", r"L = \mathrm{KL}(q(z) \| p(z)) + c", r"L = \mathrm{KL}(p(z) \| q(z)) + c"),
    ("ratio inverted", r"p(z|x) = \frac{p(x|z) p(z)}{p(x)}", r"p(z|x) = \frac{p(x)}{p(x|z) p(z)}"),
    ("term dropped", r"L = L_T + L_{t-1} + L_0", r"L = L_T + L_{t-1}"),
    ("t for t-1", r"a = x_{t-1} + 1", r"a = x_{t} + 1"),
    ("alpha for alpha-bar", r"m = \sqrt{\bar\alpha_t} x_0", r"m = \sqrt{\alpha_t} x_0"),
    ("sigma for sigma^2", r"v = \sigma^2 + 1", r"v = \sigma + 1"),
    ("inequality reversed", r"\log p(x) \geq \mathcal{L}", r"\log p(x) \leq \mathcal{L}"),
    ("log missing", r"a = \log p(x) + b", r"a = p(x) + b"),
    ("sign flipped", r"F = E - H(q)", r"F = E + H(q)"),
    ("wrong normaliser", r"m = \frac{1}{N} \sum_i x_i", r"m = \frac{1}{2 \cdot N} \sum_i x_i"),
]


@pytest.mark.parametrize("kind, before, after", CASES)
def test_each_kind_makes_its_edit(kind, before, after):
    assert planting.plant(before, kind) == after


@pytest.mark.parametrize("kind", sorted(planting.KINDS))
def test_a_kind_that_does_not_apply_declines(kind):
    assert planting.plant("a = b", kind) is None
    assert planting.plant("no relation at all", kind) is None


def test_the_left_side_of_a_definition_is_never_edited():
    # the edit falls after the first relation: the name being defined stays as written
    assert planting.plant(r"\bar\alpha_t = \prod_{s \le t} \alpha_s", "alpha for alpha-bar") is None


@pytest.mark.parametrize("before, after", [
    (r"$$D = \log\frac{a}{b} + \frac{c}{d} - \frac{1}{2}$$", r"$$D = \log\frac{a}{b} - \frac{1}{2}$$"),
    (r"$x = a + b$ and $c = d + e$", r"$x = a$ and $c = d + e$"),
    ("a = b + c \\\\ &= d + e", "a = b\\\\ &= d + e"),
])
def test_a_dropped_term_leaves_the_rest_of_the_document_as_it_was(before, after):
    # dropping everything after the last '+' took the closing $$ with it once, and the copy's
    # later statements disappeared from the scan (the planted errors there counted as missed)
    assert planting.plant(before, "term dropped") == after
