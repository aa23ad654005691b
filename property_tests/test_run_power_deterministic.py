"""Stated power for the two mostly deterministic specifications (lasso-sparsity, mixture-fit).

Each gets one statistical check of its lecture behaviour with a test (statistic, threshold, n,
false-fail rate) and a power against a named alternative:

* lasso-sparsity: the Laplace(0, b) MAP (003 L1667–1674, λ := 1/b on the NLL) zeroes a true-zero
  coefficient at the soft-threshold rate 2Φ(σ/(b√n)) − 1 on orthogonal designs; exact binomial test.
  Broken variants: the lasso with λ = σ²/b on the sum of squares (factor 2 dropped) and ridge
  (a Gaussian prior, never exactly zero).
* mixture-fit: the MLE on draws of ½N(−δ, 1) + ½N(δ, 1) (MLE = argmin KL(p̂ ‖ q), 000 L159–165,
  L217–220) is the moment-matching fit m = 0, s² = 1 + δ²; Wald χ²₂. Broken variants: the claim
  s² = δ² and the reverse-KL (mode-seeking) fit in place of the MLE.
"""

from __future__ import annotations

import json

import pytest
import torch

from derivspec.app.cli import main
from derivspec.reference_models import mixture_fit, regularised
from derivspec.reference_models.device import make_generator

CPU = torch.device("cpu")
SIGMA, B = regularised.ZERO_RATE["sigma"], regularised.ZERO_RATE["b"]
SETTINGS = {k: regularised.ZERO_RATE[k] for k in ("n", "d", "n_zero", "sigma", "b")}
DELTA = mixture_fit.MIXTURE_DELTAS[-1]


@pytest.mark.parametrize("name", ["lasso-sparsity", "mixture-fit"])
def test_the_new_check_holds_and_reports_its_test_and_power(name, capsys):
    code = main(["run", name, "--quick", "--json", "--device", "cpu", "--seed", "0"])
    out = capsys.readouterr().out
    assert code == 0
    (run,) = json.loads(out)["runs"]
    assert run["passed"]
    tested = [c for c in run["checks"] if c["test"] is not None]
    assert len(tested) == 1, tested
    check = tested[0]
    assert check["holds"] and check["statistic"] <= check["threshold"]
    assert check["n"] >= 300 and 0 < check["false_fail_rate"] <= 1e-4
    assert check["alternative"] and check["replicates"] >= 10
    assert check["power"] >= 0.9 and check["power_lower_bound"] >= 0.7
    # the deterministic checks are still there and still hold
    assert len(run["checks"]) >= 2 and all(c["holds"] for c in run["checks"])


# --- lasso-sparsity ----------------------------------------------------------------------------------


def _zero_rate(estimator, seed: int):
    return regularised.zero_rate_test(estimator, **SETTINGS, designs=20, generator=make_generator(seed, CPU),
                                      device=CPU, false_fail_rate=regularised.ZERO_RATE_FALSE_FAIL)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_laplace_map_and_the_equivalent_lasso_pass(seed):
    """The MAP (torch.distributions) and the lasso with λ = 2σ²/b on the sum of squares: same zeros."""
    assert _zero_rate(lambda X, y: regularised.map_laplace_prior(X, y, SIGMA, B), seed).passed
    assert _zero_rate(lambda X, y: regularised.lasso_by_coordinate_descent(X, y, 2 * SIGMA**2 / B), seed).passed


@pytest.mark.parametrize("broken", [
    regularised._wrong_lambda_lasso,  # λ = σ²/b: zero rate 0.276 instead of 0.521
    lambda X, y: regularised.map_gaussian_prior(X, y, SIGMA, B * 2**0.5),  # Gaussian prior: no exact zeros
], ids=["lambda-without-factor-2", "gaussian-prior"])
def test_broken_variants_are_rejected(broken):
    outcome = _zero_rate(broken, 0)
    assert not outcome.passed, outcome.describe()


def test_zero_rate_formula_matches_the_soft_threshold_probability():
    """2Φ(σ/(b√n)) − 1 against scipy's normal: P(|N(0, σ²/n)| ≤ σ²/(n b))."""
    from scipy.stats import norm

    n, sigma, b = 50, 1.3, 0.2
    t = sigma**2 / (n * b)
    scale = sigma / n**0.5
    assert regularised.laplace_zero_rate(n, sigma, b) == pytest.approx(norm.cdf(t, 0, scale) - norm.cdf(-t, 0, scale),
                                                                       rel=1e-12)


# --- mixture-fit --------------------------------------------------------------------------------------


def _draws(seed: int, n: int = 4_000):
    return mixture_fit.sample_mixture(n, DELTA, make_generator(seed, CPU), CPU)


def test_the_mle_is_the_sample_mean_and_variance():
    x = _draws(0)
    m, s = mixture_fit.fit_gaussian_mle(x)
    assert abs(m - float(x.mean())) < 1e-9 and abs(s**2 - float(x.var(unbiased=False))) < 1e-9


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_the_mle_passes_the_moment_matching_test(seed):
    outcome = mixture_fit.moment_matching_test(_draws(seed), DELTA, false_fail_rate=mixture_fit.SAMPLE_FIT_FALSE_FAIL)
    assert outcome.passed, outcome.describe()


def test_the_wrong_variance_claim_is_rejected():
    outcome = mixture_fit.moment_matching_test(_draws(0), DELTA, variance=DELTA**2,
                                               false_fail_rate=mixture_fit.SAMPLE_FIT_FALSE_FAIL)
    assert not outcome.passed, outcome.describe()


def test_the_reverse_kl_fit_is_rejected():
    """The mode-seeking reverse-KL fit (m ≈ 2.98, s ≈ 1.02 at δ = 3) is not what the MLE gives."""
    reverse = mixture_fit.fit_reverse_kl(DELTA, DELTA, 1.0, device=CPU)
    outcome = mixture_fit.moment_matching_test(_draws(0), DELTA, fit=lambda x: (reverse.m, reverse.s),
                                               false_fail_rate=mixture_fit.SAMPLE_FIT_FALSE_FAIL)
    assert not outcome.passed, outcome.describe()
