"""The entropy of a diagonal Gaussian (``estimation.gaussian.entropy-diagonal``, derivations/estimation/gaussian.py):
the derived target against scipy written again here, at D = 2 and through its general form at other D; free of μ
(a Monte Carlo estimate at a shifted mean written here); the forms code writes accepted by ``check``, the slips
rejected."""

import math

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from derivspec.core import registry
from derivspec.testing.sizes import at_sizes
from forms import assert_forms

CLAIM = "estimation.gaussian.entropy-diagonal"


def exact(claim, point):
    return float(sympy.N(claim.target.subs({claim.symbols[k]: sympy.Float(v, 30) for k, v in point.items()}), 30))


@given(st.floats(0.05, 20), st.floats(0.05, 20))
def test_the_target_is_scipy_s_entropy_at_d_2(sigma1, sigma2):
    want = stats.multivariate_normal(mean=[0.3, -1.0], cov=np.diag([sigma1**2, sigma2**2])).entropy()
    assert exact(registry.get(CLAIM), {"sigma1": sigma1, "sigma2": sigma2}) == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("D", [1, 3, 6])
def test_the_general_form_is_the_entropy_at_other_sizes(D):
    sigmas = np.random.default_rng(D).uniform(0.1, 3.0, D)
    want = stats.multivariate_normal(mean=np.zeros(D), cov=np.diag(sigmas**2)).entropy()
    got = exact(at_sizes(registry.get(CLAIM), {"D": D}), {f"sigma{i + 1}": s for i, s in enumerate(sigmas)})
    assert got == pytest.approx(want, rel=1e-10)
    assert got - D * 0.5 * math.log(2 * math.pi * math.e) == pytest.approx(float(np.sum(np.log(sigmas))), rel=1e-10)


def test_it_is_free_of_the_mean():
    """−log p(y) averaged over 400 000 draws of N(μ, diag σ²) at a far-off μ: within 6 standard errors of the target
    (a false-fail rate below 1e-8; seed fixed)."""
    rng = np.random.default_rng(7)
    mu, sigma = np.array([40.0, -25.0]), np.array([0.7, 1.9])
    y = mu + sigma * rng.standard_normal((400_000, 2))
    surprise = -stats.norm.logpdf(y, mu, sigma).sum(-1)
    target = exact(registry.get(CLAIM), {"sigma1": 0.7, "sigma2": 1.9})
    assert abs(surprise.mean() - target) < 6 * surprise.std() / math.sqrt(len(surprise))


def test_check_accepts_the_forms_code_writes_and_rejects_mistakes():
    assert_forms(CLAIM,
                 formulas=["log(2*pi*E) + log(sigma1) + log(sigma2)", "1 + log(2*pi) + log(sigma1*sigma2)",
                           "log(2*pi*E*sigma1**2)/2 + log(2*pi*E*sigma2**2)/2", "2*(1/2 + log(2*pi)/2) + log(sigma1) + log(sigma2)"],
                 latexes=[r"\sum_{d=1}^{2}\left(\frac12\log(2\pi e) + \log\sigma_d\right)",
                          r"\frac{2}{2}\left(1 + \log 2\pi\right) + \log\sigma_1 + \log\sigma_2"],
                 mistakes=["log(2*pi*E) + log(sigma1**2) + log(sigma2**2)", "log(2*pi*E)/2 + log(sigma1) + log(sigma2)",
                           "(log(2*pi*E) + log(sigma1) + log(sigma2))/2", "log(2*pi) + log(sigma1) + log(sigma2)"])
