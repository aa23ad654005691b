r"""Estimators in the lecture's own notation (derivspec/scan/monte_carlo.py, conjugate_map.py): a Monte Carlo
estimate said to be the estimate OF an expectation is checked for unbiasedness; the variance letter the document
declares (sigma^2 = Var_p(f(x))) judges sigma/S; a Beta prior naming no parameter and counts whose roles the prose
gives ("k heads in n flips") read the MAP. Every document is written for the test; expected values are recomputed.
"""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from derivspec.scan.runner import scan_path


def _scan(tmp_path, text: str):
    path = tmp_path / "doc.md"
    path.write_text(f"# Notes\n\n{text}\n", encoding="utf-8")
    return scan_path(path, workers=0, sources=False)


def _at(records, needle):
    return next(r for r in records if needle in r.text)


MC = [  # (lead-in, estimator name, count letter, sum with the summand) in three notations
    (r"The Monte Carlo estimate of $\mu = \mathbb{E}_{p}[f(x)]$ from $S$ samples $x^{(s)} \sim p$ is",
     r"\hat{\mu}_S", "S", r"\sum_{s=1}^{S} f(x^{(s)})"),
    (r"The sample-mean estimator of $I = \mathbb{E}_{q}[g(z)]$ from $M$ draws $z_m \sim q$ is",
     r"\hat{I}_M", "M", r"\sum_{m=1}^{M} g(z_m)"),
    (r"The Monte Carlo approximation of $\mathbb{E}_{\pi}[h(y)]$ with $K$ draws $y_k \sim \pi$ is",
     r"\widehat{H}", "K", r"\sum_{k=1}^{K} h(y_k)"),
]


@pytest.mark.parametrize("lead, name, count, summed", MC)
def test_monte_carlo_estimate_proved_unbiased(tmp_path, lead, name, count, summed):
    record = _at(_scan(tmp_path, f"{lead}\n\n$${name} = \\frac{{1}}{{{count}}}{summed}$$"), summed)
    assert record.verdict == "proved", record.reason
    assert "unbiased" in record.reason and f"from {count} draws" in record.reason


@settings(max_examples=8, deadline=None)
@given(st.sampled_from(MC), st.sampled_from([(2, 0), (1, 1), (3, 0), (1, -1)]))
def test_wrong_normaliser_flagged_with_recomputed_counterexample(tmp_path_factory, case, wrong):
    lead, name, count, summed = case
    factor, shift = wrong  # normaliser 1/(factor * count + shift)
    denominator = f"{factor} {count}" if factor != 1 else count
    denominator += {0: "", 1: " + 1", -1: " - 1"}[shift]
    records = _scan(tmp_path_factory.mktemp("mc"), f"{lead}\n\n$${name} = \\frac{{1}}{{{denominator}}}{summed}$$")
    record = _at(records, summed)
    assert record.verdict == "disagrees", record.reason
    assert record.correct == rf"\frac{{1}}{{{count}}}{summed}"
    S = sympy.Symbol("S")
    at = next(k for k in range(1, 6) if (k / (factor * S + shift)).subs(S, k) != 1 and factor * k + shift != 0)
    value = sympy.Rational(at, factor * at + shift)  # f = 1: every term 1, the estimate at/(factor at + shift)
    assert f"{count} = {at}: the estimate is {value}, not 1" in record.evidence


@pytest.mark.parametrize("lead", [
    r"The self-normalised importance-sampling estimate of $\mu = \mathbb{E}_{p}[f(x)]$ from $S$ samples is",
    r"A biased Monte Carlo estimate of $\mu = \mathbb{E}_{p}[f(x)]$ from $S$ samples $x^{(s)} \sim p$ is",
    r"The Monte Carlo estimate of $\mu = \mathbb{E}_{p}[f(x)]$ from $S$ samples $x^{(s)} \sim q$ is",  # other density
    r"From $S$ samples $x^{(s)} \sim p$ we form",  # no stated target
])
def test_look_alikes_stay_unflagged(tmp_path, lead):
    record = _at(_scan(tmp_path, f"{lead}\n\n$$\\hat{{\\mu}}_S = \\frac{{1}}{{2 S}}\\sum_{{s=1}}^{{S}} f(x^{{(s)}})$$"),
                 r"\sum_{s=1}")
    assert record.verdict != "disagrees", record.reason


def test_weighted_estimator_without_declared_weights_unchecked(tmp_path):
    lead = r"The Monte Carlo estimate of $\mu = \mathbb{E}_{p}[f(x)]$ from $S$ samples $x^{(s)} \sim p$ is"
    record = _at(_scan(tmp_path, f"{lead}\n\n$$\\hat{{\\mu}}_S = \\frac{{1}}{{S}}\\sum_{{s=1}}^{{S}} w_s f(x^{{(s)}})$$"),
                 "w_s")
    assert record.verdict == "unchecked", record.reason


VAR_DOC = (r"Let $\hat{{\mu}}_S = \frac{{1}}{{S}}\sum_{{s=1}}^{{S}} f(x_s)$ be the Monte Carlo mean of $S$ i.i.d. draws."
           "\n\nIts spread is\n\n$${statement}$$\n\nwhere ${declared}$.")


@pytest.mark.parametrize("statement, declared, verdict", [
    (r"\mathrm{Var}(\hat{\mu}_S) = \frac{\sigma^2}{S}", r"\sigma^2 = \mathrm{Var}_p(f(x))", "proved"),
    (r"\mathrm{Var}(\hat{\mu}_S) = \frac{\sigma}{S}", r"\sigma^2 = \mathrm{Var}_p(f(x))", "disagrees"),
    (r"\mathrm{Var}(\hat{\mu}_S) = \frac{v}{S}", r"v = \mathrm{Var}(f(x))", "proved"),
    (r"\mathrm{Var}(\hat{\mu}_S) = \frac{v^2}{S}", r"v = \mathrm{Var}(f(x))", "disagrees"),
    (r"\mathrm{SE}(\hat{\mu}_S) = \frac{\sigma}{\sqrt{S}}", r"\sigma^2 = \mathrm{Var}_p(f(x))", "proved"),
    (r"\mathrm{SE}(\hat{\mu}_S) = \frac{\sigma^2}{\sqrt{S}}", r"\sigma^2 = \mathrm{Var}_p(f(x))", "disagrees"),
    (r"\mathrm{Var}(\hat{\mu}_S) = \frac{\sigma}{S}", r"\sigma = \mathrm{Var}_p(f(x))", "proved"),  # sigma IS it
])
def test_declared_variance_letter(tmp_path, statement, declared, verdict):
    record = _at(_scan(tmp_path, VAR_DOC.format(statement=statement, declared=declared)), statement)
    assert record.verdict == verdict, record.reason
    if verdict == "disagrees":  # recomputed at S = 2 and the letter 2
        letter = sympy.Symbol("L", positive=True)
        power = 1 if declared.startswith("v") else 2
        sqrt = "SE" in statement
        variance = letter ** power
        correct = sympy.sqrt(variance / 2) if sqrt else variance / 2
        assert f"the {'standard error' if sqrt else 'variance'} of the mean {sympy.nsimplify(correct.subs(letter, 2))}" \
            in record.evidence


def test_undeclared_sigma_stays_unflagged(tmp_path):
    text = VAR_DOC.format(statement=r"\mathrm{Var}(\hat{\mu}_S) = \frac{\sigma}{S}", declared="S > 1")
    record = _at(_scan(tmp_path, text), r"\frac{\sigma}{S}")
    assert record.verdict == "unchecked", record.reason


MAP = [  # (declaration, prior and counts prose, left side, successes, total, a, b)
    (r"Coin flips with $P(x_i = 1) = \theta$.", r"With a $\mathrm{Beta}(a, b)$ prior and $k$ heads in $n$ flips",
     r"\hat{\theta}_{\text{MAP}}", "k", "n", "a", "b"),
    (r"Each trial succeeds with probability of success $\pi$.",
     r"With a $\mathrm{Beta}(\alpha, \beta)$ prior and $m$ successes out of $N$ trials", r"\hat{\pi}_{MAP}",
     "m", "N", r"\alpha", r"\beta"),
    (r"Tosses $y_j \sim \mathrm{Bernoulli}(p)$.", r"Under a $\mathrm{Beta}(a_0, b_0)$ prior, with $h$ heads in $T$ tosses",
     r"\hat{p}_{\mathrm{MAP}}", "h", "T", "a_0", "b_0"),
]


def _map_doc(case, numerator, denominator):
    declaration, prose, left, *_ = case
    return f"{declaration}\n\n{prose}, the posterior mode is\n\n$${left} = \\frac{{{numerator}}}{{{denominator}}}$$"


@pytest.mark.parametrize("case", MAP)
def test_map_with_prose_roles_proved(tmp_path, case):
    _, _, left, k, n, a, b = case
    record = _at(_scan(tmp_path, _map_doc(case, f"{k} + {a} - 1", f"{n} + {a} + {b} - 2")), left)
    assert record.verdict == "proved" and record.claim == "map.beta-bernoulli", record.reason
    assert f"{k} as the successes, {n} as the total (as the text names them)" in record.reason


@pytest.mark.parametrize("case", MAP)
@pytest.mark.parametrize("wrong", ["dropped", "normaliser", "swapped", "total as failures"])
def test_map_wrong_flagged(tmp_path, case, wrong):
    _, _, left, k, n, a, b = case
    numerator, denominator = {
        "dropped": (f"{k} + {a}", f"{n} + {a} + {b} - 2"),
        "normaliser": (f"{k} + {a} - 1", f"2 {n} + {a} + {b} - 2"),
        "swapped": (f"{k} + {b} - 1", f"{n} + {a} + {b} - 2"),
        "total as failures": (f"{k} + {a} - 1", f"{k} + {n} + {a} + {b} - 2"),
    }[wrong]
    record = _at(_scan(tmp_path, _map_doc(case, numerator, denominator)), left)
    assert record.verdict == "disagrees", record.reason
    assert record.correct == rf"\frac{{{k} + {a} - 1}}{{{n} + {a} + {b} - 2}}"
    K, N, A, B = sympy.symbols("K N A B")
    point = {K: 3, N: 8, A: 2, B: 3}  # the recogniser's instance: successes 3, total 8, prior (2, 3)
    written = sympy.sympify(f"({numerator})/({denominator})".replace(k, "K").replace(n, "N").replace(a, "A")
                            .replace(b, "B").replace("\\", "").replace("2 N", "2*N"), locals={"K": K, "N": N,
                                                                                             "A": A, "B": B})
    assert f"as written {written.subs(point)}, the posterior mode {sympy.Rational(3 + 2 - 1, 8 + 2 + 3 - 2)}" \
        in record.evidence


def test_map_swapped_without_declared_success_unchecked(tmp_path):
    """No parameter declared the probability of the counted outcome: exchanged prior parameters may be the other
    outcome counted as the success -- not flagged."""
    text = (r"A coin has $\theta \sim \mathrm{Beta}(a, b)$ and we see $k$ heads in $n$ flips, the posterior mode is"
            "\n\n$$\\hat{\\theta}_{\\text{MAP}} = \\frac{k + b - 1}{n + a + b - 2}$$")
    record = _at(_scan(tmp_path, text), r"\hat{\theta}")
    assert record.verdict == "unchecked", record.reason
