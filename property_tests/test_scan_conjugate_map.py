r"""``scan`` judges the MAP estimate and the posterior mean of a coin under the Beta prior the document states
(derivspec/scan/conjugate_map.py, claims map.beta-bernoulli and .posterior-mean), the count letters bound to their
roles by unification, and the normal-normal posterior whose likelihood is said in prose
(derivspec/scan/normal_posterior.py). Counterexamples are recomputed here from the Beta posterior's mode and mean.
Every document is written for the test (two notations each: the n_1-in-n notation of a lecture's coin example,
and heads/tails counts n_H, n_T with a Beta(a, b) density).
"""

from __future__ import annotations

import re
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derivspec.scan.runner import scan_path

ALPHA_N1 = (r"With a $\mathrm{Beta}(\alpha, \beta)$ prior on $\theta$ and $n_1$ heads in $n$ tosses, the posterior "
            r"is $\mathrm{Beta}(\alpha + n_1, \beta + n - n_1)$ and the MAP estimate is")
DENSITY_HT = (r"A coin lands heads with probability $\rho$, $p(\rho) = \mathrm{Beta}(\rho; a, b)$. We see $n_H$ heads "
              r"and $n_T$ tails. The posterior mode is")
SIM_K = (r"Let $\pi \sim \mathrm{Beta}(a_0, b_0)$ and $k \mid \pi \sim \mathrm{Bin}(N, \pi)$, $k$ successes out of "
         r"$N$ Bernoulli trials. Then")


def _scan(tmp_path, prose: str, statement: str):
    path = tmp_path / "doc.md"
    path.write_text(f"# Notes\n\n{prose}\n\n$${statement}$$\n", encoding="utf-8")
    return scan_path(path, workers=0, sources=False)[-1]


PROVED = {
    "MAP, successes and total": (ALPHA_N1, r"\hat\theta_{\text{MAP}} = \frac{n_1 + \alpha - 1}{n + \alpha + \beta - 2}",
                                 "map.beta-bernoulli", "n_{1} as the successes, n as the total"),
    "mean, successes and total": (ALPHA_N1,
                                  r"\mathbb{E}[\theta \mid \mathcal{D}] = \frac{n_1 + \alpha}{n + \alpha + \beta}",
                                  "map.beta-bernoulli.posterior-mean", "n_{1} as the successes, n as the total"),
    "mode, heads and tails": (DENSITY_HT, r"\hat\rho = \frac{n_H + a - 1}{n_H + n_T + a + b - 2}",
                              "map.beta-bernoulli", "as the failures"),
    "MAP subscript, binomial": (SIM_K, r"\pi_{MAP} = \frac{k + a_0 - 1}{N + a_0 + b_0 - 2}",
                                "map.beta-bernoulli", "k as the successes, N as the total"),
    "mean, binomial": (SIM_K, r"\mathbb{E}[\pi \mid k] = \frac{a_0 + k}{a_0 + b_0 + N}",
                       "map.beta-bernoulli.posterior-mean", "k as the successes, N as the total"),
}


@pytest.mark.parametrize("case", sorted(PROVED))
def test_proved_with_the_binding_shown(tmp_path, case):
    prose, statement, claim, binding = PROVED[case]
    record = _scan(tmp_path, prose, statement)
    assert record.verdict == "proved", record.reason
    assert record.claim == claim and binding in record.reason


def _mode(h, n, a, b):
    return Fraction(h + a - 1, n + a + b - 2)


def _mean(h, n, a, b):
    return Fraction(h + a, n + a + b)


WRONG = {
    "-1 for -2": (ALPHA_N1, r"\hat\theta_{\text{MAP}} = \frac{n_1 + \alpha - 1}{n + \alpha + \beta - 1}",
                  lambda h, n, a, b: Fraction(h + a - 1, n + a + b - 1), _mode, r"n + \alpha + \beta - 2"),
    "missing -1": (SIM_K, r"\pi_{MAP} = \frac{k + a_0}{N + a_0 + b_0 - 2}",
                   lambda h, n, a, b: Fraction(h + a, n + a + b - 2), _mode, r"k + a_0 - 1"),
    "alpha + beta missing": (ALPHA_N1, r"\mathbb{E}[\theta \mid \mathcal{D}] = \frac{n_1 + \alpha}{n + \beta}",
                             lambda h, n, a, b: Fraction(h + a, n + b), _mean, r"n + \alpha + \beta"),
    "mode written as the mean": (SIM_K, r"\mathbb{E}[\pi \mid k] = \frac{k + a_0 - 1}{N + a_0 + b_0 - 2}",
                                 lambda h, n, a, b: Fraction(h + a - 1, n + a + b - 2), _mean, r"k + a_0"),
}


@pytest.mark.parametrize("case", sorted(WRONG))
def test_wrong_flagged_with_a_recomputed_counterexample(tmp_path, case):
    prose, statement, written, truth, correct = WRONG[case]
    record = _scan(tmp_path, prose, statement)
    assert record.verdict == "disagrees", record.reason
    assert "under every binding" in record.reason and correct in record.correct.replace("{", "").replace("}", "") \
        or correct.replace("{", "").replace("}", "") in record.correct.replace("{", "").replace("}", "")
    values = dict(re.findall(r"([^\s,:=]+) = (\d+)", record.evidence))
    h, n = (int(values[k]) for k in (next(k for k in values if k in ("n_{1}", "k")),
                                       next(k for k in values if k in ("n", "N"))))
    a, b = (int(values[k]) for k in values if k not in ("n_{1}", "k", "n", "N"))
    assert f"as written {written(h, n, a, b)}" in record.evidence
    assert str(truth(h, n, a, b)) in record.evidence.split("as written")[1].split(",", 1)[1]


@settings(max_examples=8, deadline=None)
@given(st.sampled_from(["h", "m", "s"]), st.sampled_from(["n", "N", "M"]), st.sampled_from([r"\theta", "q", r"\phi"]))
def test_any_letters(tmp_path_factory, h, n, parameter):
    prose = (rf"A coin with ${parameter} \sim \mathrm{{Beta}}(\alpha, \beta)$; ${h}$ heads in ${n}$ tosses. "
             "The MAP estimate is")
    path = tmp_path_factory.mktemp("any") / "doc.md"
    for statement, verdict in ((rf"\hat{parameter}_{{MAP}} = \frac{{{h} + \alpha - 1}}{{{n} + \alpha + \beta - 2}}",
                                "proved"),
                               (rf"\hat{parameter}_{{MAP}} = \frac{{{h} + \alpha}}{{{n} + \alpha + \beta - 1}}",
                                "disagrees")):
        path.write_text(f"# Coin\n\n{prose}\n\n$${statement}$$\n", encoding="utf-8")
        assert scan_path(path, workers=0, sources=False)[-1].verdict == verdict


LOOK_ALIKES = {
    "MLE without a prior": (r"We toss a coin $n$ times and see $k$ heads. The maximum-likelihood estimate is",
                            r"\hat\theta = \frac{k}{n}"),
    "MLE beside a Beta prior": (r"With a $\mathrm{Beta}(\alpha, \beta)$ prior on $\theta$ and $k$ heads in $n$ "
                                r"tosses, the MLE ignores the prior:", r"\hat\theta = \frac{k}{n}"),
    "uniform prior's special case": (r"With a $\mathrm{Beta}(\alpha, \beta)$ prior on $\theta$ and $k$ heads in $n$ "
                                     r"tosses, taking $\alpha = \beta = 1$ the MAP estimate is",
                                     r"\hat\theta_{MAP} = \frac{k}{n}"),
    "the other outcome as success": (ALPHA_N1,
                                     r"\hat\theta_{\text{MAP}} = \frac{n_1 + \beta - 1}{n + \alpha + \beta - 2}"),
    "three count letters": (ALPHA_N1 + r" with $n_0 = n - n_1$ tails:",
                            r"\hat\theta_{\text{MAP}} = \frac{n_1 + \alpha - 1}{n_1 + n_0 + n + \alpha + \beta - 2}"),
}


@pytest.mark.parametrize("case", sorted(LOOK_ALIKES))
def test_look_alikes_never_flagged(tmp_path, case):
    prose, statement = LOOK_ALIKES[case]
    assert _scan(tmp_path, prose, statement).verdict != "disagrees"


NORMAL = {  # the prior in math, the likelihood only in prose
    "probe notation": (r"For a Gaussian mean with known variance $\sigma^2$, prior $\mu \sim \mathcal{N}(\mu_0, "
                       r"\sigma_0^2)$ and $N$ observations with mean $\bar x$,"),
    "K observations": (r"Prior $m \sim \mathcal{N}(m_0, s_0^2)$. The data are $K$ Gaussian observations $y_1, \dots, "
                       r"y_K$ with known variance $s^2$."),
}


@pytest.mark.parametrize("statement, verdict", [
    (r"\frac{1}{\sigma_N^2} = \frac{1}{\sigma_0^2} + \frac{N}{\sigma^2}", "proved"),
    (r"\mu_N = \sigma_N^2\left(\frac{\mu_0}{\sigma_0^2} + \frac{N\bar x}{\sigma^2}\right)", "proved"),
    (r"\mu_N = \sigma_N^2\left(\frac{\mu_0}{\sigma_0^2} + \frac{N\hat\mu_{\mathrm{ML}}}{\sigma^2}\right)", "proved"),
    (r"\frac{1}{\sigma_N^2} = \frac{1}{\sigma_0^2} + \frac{1}{\sigma^2}", "disagrees"),
])
def test_normal_posterior_likelihood_in_prose(tmp_path, statement, verdict):
    record = _scan(tmp_path, NORMAL["probe notation"], statement)
    assert record.verdict == verdict, record.reason
    assert "as the text says it" in repr(record)  # the mapping, in the full step reason
    if verdict == "disagrees":  # 1/sigma_0^2 + 1/sigma^2 against 1/sigma_0^2 + N/sigma^2 at the instance shown
        values = dict(re.findall(r"([^\s,:=]+) = ([0-9/]+)", record.evidence))
        n, s0, s = int(values["N"]), Fraction(values[r"\sigma_{0}"]), Fraction(values[r"\sigma"])
        assert f"as written {1 / s0**2 + 1 / s**2}" in record.evidence
        assert f"posterior's {1 / s0**2 + n / s**2}" in record.evidence


@pytest.mark.parametrize("statement", [
    r"m_K = s_K^2\left(\frac{m_0}{s_0^2} + \frac{\sum_{k=1}^K y_k}{s^2}\right)",
    r"\frac{1}{s_K^2} = \frac{1}{s_0^2} + \frac{K}{s^2}",
])
def test_normal_posterior_other_letters(tmp_path, statement):
    assert _scan(tmp_path, NORMAL["K observations"], statement).verdict == "proved"


def test_normal_posterior_unknown_variance_in_prose_unchecked(tmp_path):
    prose = (r"Prior $\mu \sim \mathcal{N}(\mu_0, \sigma_0^2)$ and $N$ Gaussian observations $x_1, \dots, x_N$ "
             r"with variance $\sigma^2$, unknown variance with a prior on the variance.")
    assert _scan(tmp_path, prose, r"\frac{1}{\sigma_N^2} = \frac{1}{\sigma_0^2} + \frac{1}{\sigma^2}").verdict \
        != "disagrees"
