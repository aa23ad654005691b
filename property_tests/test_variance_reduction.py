"""Variance-reduced Monte Carlo (numerics/montecarlo.py): each estimator's error bar is calibrated,
exact enumeration is exact, the choice never looks at the claimed value, and top-ups keep the
promised detectable error.

The calibration tests run each method on a true claim over fixed seeds at a 5 % false-fail
rate: the failure count must fall in the Binomial(runs, 0.05) interval that leaves out
probability 1e-6, and the t statistics must look like their reference law (normal; Student t
with ``units − 1`` degrees of freedom for RQMC) by a KS test at 1e-6. A method whose error bar
were too small (RQMC treating its points as independent, control coefficients fitted on the
main run's own draws and ignored in the error, a replicate count taken as degrees of freedom
of the points) would fail these. Everything is seeded: the tests are deterministic.
"""

import math

import pytest
import torch
from scipy import stats
from scipy.stats import binom

from derivspec.numerics import montecarlo as mc
from derivspec.numerics.montecarlo import (METHODS, MIN_SAMPLES, ROUNDOFF_REL, Integrand, critical_value,
                                           monte_carlo_check, standard_normal)
from derivspec.numerics.sampling import expectation, piecewise_constant
from derivspec.reference_models.device import DTYPE, make_generator

CPU = torch.device("cpu")
RUNS = 200
RATE = 0.05


def mixed_integrand() -> tuple[Integrand, float]:
    """exp(0.7 ε₁) + sin(3 ε₂) + 1{u₃ < 0.3}: smooth, oscillating and discontinuous parts, none
    of them a polynomial in the noise (so no control makes it exact). Mean e^{0.245} + 0 + 0.3."""
    def f(u):
        return torch.exp(0.7 * standard_normal(u[:, 0])) + torch.sin(3 * standard_normal(u[:, 1])) + (u[:, 2] < 0.3).to(DTYPE)
    return Integrand(f, dim=3, noise=("normal", "normal", "uniform")), math.exp(0.245) + 0.3


def acceptance_interval(runs: int, rate: float, alpha: float = 1e-6) -> tuple[int, int]:
    return int(binom.ppf(alpha / 2, runs, rate)), int(binom.isf(alpha / 2, runs, rate))


@pytest.mark.parametrize("method", METHODS)
def test_error_bar_is_calibrated(method):
    integrand, mean = mixed_integrand()
    results = [monte_carlo_check(integrand, mean, make_generator(seed, CPU), false_fail_rate=RATE,
                                 min_rel_error=0.05, methods=(method,)) for seed in range(RUNS)]
    assert {r.method for r in results} == {method}
    failures = sum(not r.passed for r in results)
    lo, hi = acceptance_interval(RUNS, RATE)
    assert lo <= failures <= hi, (method, failures, (lo, hi))
    if method.startswith("rqmc"):
        # each result has its own degrees of freedom: map its t to a normal score through them
        scores = [stats.norm.ppf(stats.t.cdf(r.z, r.dof)) for r in results]
        assert all(r.dof == r.units - 1 for r in results)
    else:
        scores = [r.z for r in results]
    assert stats.kstest(scores, "norm").pvalue > 1e-6, method
    # the standard error is not conservative either: the z values spread like N(0, 1)
    spread = float(torch.tensor(scores).std())
    assert 0.75 < spread < 1.3, (method, spread)


def test_rqmc_replicates_are_independent_and_reproducible():
    integrand, mean = mixed_integrand()
    a = monte_carlo_check(integrand, mean, make_generator(3, CPU), methods=("rqmc",))
    b = monte_carlo_check(integrand, mean, make_generator(3, CPU), methods=("rqmc",))
    c = monte_carlo_check(integrand, mean, make_generator(4, CPU), methods=("rqmc",))
    assert (a.estimate, a.stderr, a.n) == (b.estimate, b.stderr, b.n)
    assert a.estimate != c.estimate
    assert a.units >= mc.RQMC_REPLICATES and a.n == a.units * (a.n // a.units)


def test_choice_and_size_never_depend_on_the_claimed_value():
    # a wrong claim cannot shrink (or otherwise steer) its own test
    integrand, mean = mixed_integrand()
    right = monte_carlo_check(integrand, mean, make_generator(5, CPU))
    wrong = monte_carlo_check(integrand, 1.5 * mean, make_generator(5, CPU))
    assert (right.method, right.n, right.estimate, right.stderr) == (wrong.method, wrong.n, wrong.estimate, wrong.stderr)
    assert right.passed and not wrong.passed


def test_chosen_estimator_has_the_smallest_pilot_variance():
    integrand, _ = mixed_integrand()
    plans, _ = mc._candidates(integrand, make_generator(6, CPU), METHODS)
    chosen = mc._choose(plans)
    assert chosen.per_eval_variance == min(p.per_eval_variance for p in plans)


@pytest.mark.parametrize("rel_error", [0.015, -0.015])
@pytest.mark.parametrize("method", ["plain", "antithetic", "rqmc", "rqmc+cv"])
def test_each_method_rejects_a_15_percent_error_of_a_1_percent_check(method, rel_error):
    # power: every method is sized for 1 % at power 0.99; 1.5 % is rejected on every seed here
    integrand, mean = mixed_integrand()
    for seed in range(3):
        r = monte_carlo_check(integrand, mean * (1 + rel_error), make_generator(seed, CPU), methods=(method,))
        assert r.min_detectable_rel_error <= 0.01
        assert not r.passed, (method, seed, r.to_json())


def test_controls_make_a_quadratic_in_the_noise_exact():
    # ε₁² + 3ε₁ε₂ − ε₂: a quadratic in the noise, so the generic controls (ε_j, ε_j², ε_i ε_j with
    # torch.distributions' moments) remove all of its variance; the estimate is then exact to round-off
    integrand = Integrand(lambda u: standard_normal(u[:, 0]) ** 2 + 3 * standard_normal(u[:, 0]) * standard_normal(u[:, 1])
                          - standard_normal(u[:, 1]), dim=2)
    r = monte_carlo_check(integrand, 1.0, make_generator(0, CPU))
    assert r.method.endswith("+cv") and r.passed
    assert r.min_detectable_rel_error < 1e-6
    assert not monte_carlo_check(integrand, 1.0 + 1e-6, make_generator(0, CPU)).passed


def test_route_controls_with_wrong_means_are_caught_not_hidden():
    # a control whose stated mean is wrong biases the estimate: the check fails rather than
    # passing with a too-small error bar (the means must come from an independent, correct source)
    def f(u):
        eps = standard_normal(u[:, 0])
        return torch.exp(0.5 * eps), eps[:, None]
    good = Integrand(f, dim=1, noise=None, control_means=(0.0,))
    bad = Integrand(f, dim=1, noise=None, control_means=(0.05,))
    mean = math.exp(0.125)
    assert monte_carlo_check(good, mean, make_generator(0, CPU), methods=("plain+cv",)).passed
    assert not monte_carlo_check(bad, mean, make_generator(0, CPU), methods=("plain+cv",)).passed


# --- exact computation over a finite support --------------------------------------------------


def test_exact_enumeration_is_deterministic_and_exact():
    p = torch.distributions.Categorical(probs=torch.tensor([0.5, 0.3, 0.2], dtype=DTYPE))
    integrand = expectation(p, lambda y: (y.to(DTYPE) - 1) ** 2)
    value = 0.5 * 1 + 0.3 * 0 + 0.2 * 1
    runs = [monte_carlo_check(integrand, value, make_generator(seed, CPU)) for seed in range(3)]
    assert all(r.method == "exact" and r.n == 3 and r.passed for r in runs)
    assert len({r.estimate for r in runs}) == 1
    assert runs[0].estimate == pytest.approx(value, rel=1e-15)
    assert runs[0].stderr == pytest.approx(ROUNDOFF_REL * 0.7, rel=1e-12)  # E|value| = 0.7
    assert not monte_carlo_check(integrand, value * (1 + 1e-8), make_generator(0, CPU)).passed


def test_exact_matches_sampling_of_the_same_integrand():
    # the cells of piecewise_constant are the sampler's: sampling the same f agrees with the sum
    r, d1, d2 = (torch.tensor(v, dtype=DTYPE) for v in (0.3, 0.8, 0.25))

    def f(u):
        first = u[:, 0] < r
        return torch.where(first, 2.0, -1.0) * (u[:, 1] < torch.where(first, d1, d2)).to(DTYPE) + u[:, 0] * 0
    integrand = piecewise_constant(f, [[r], [d1, d2]])
    exact = monte_carlo_check(integrand, 0.3 * 0.8 * 2 - 0.7 * 0.25, make_generator(0, CPU))
    assert exact.method == "exact" and exact.n == 6 and exact.passed
    sampled = monte_carlo_check(integrand, exact.estimate, make_generator(0, CPU), methods=("plain",))
    assert sampled.passed and sampled.n >= MIN_SAMPLES


def test_exact_refuses_probabilities_that_do_not_sum_to_one():
    integrand = Integrand(lambda u: u[:, 0], dim=1, exact=lambda: (torch.tensor([0.0, 1.0]), torch.tensor([0.5, 0.4])))
    with pytest.raises(ValueError, match="sum"):
        monte_carlo_check(integrand, 0.5, make_generator(0, CPU))


# --- sizing: the promised error is the reported one -----------------------------------------


def test_top_up_keeps_the_promised_detectable_error():
    # the pilot sees a quiet estimator, the main run a three times noisier one: the main run's
    # own variance shows the shortfall and the check tops up to the 1 % it promised
    def sample(n, generator):
        noise = torch.randn(n, generator=generator, dtype=DTYPE)
        return 1.0 + (0.3 if n == 2_000 else 1.0) * noise
    r = monte_carlo_check(sample, 1.0, make_generator(0, CPU), pilot_n=2_000)
    assert r.min_detectable_rel_error <= 0.01
    fixed = monte_carlo_check(sample, 1.0, make_generator(0, CPU), pilot_n=2_000, margin=1.0, top_ups=0)
    assert fixed.min_detectable_rel_error > 0.02  # without the top-up it would report ~3 %


def test_critical_value_uses_student_t_for_few_replicates():
    assert critical_value(1e-6, None) == pytest.approx(4.8916, abs=1e-4)
    assert critical_value(1e-6, 63) == pytest.approx(5.4200, abs=1e-4)
    assert critical_value(1e-6, 10_000) == pytest.approx(critical_value(1e-6, None), rel=1e-3)


def test_rqmc_replicates_keep_the_net_and_each_point_is_uniform():
    # one scramble, a digital shift per replicate: every replicate is still a (0, m, 2)-net (each
    # elementary interval of area 1/32 holds exactly one of its 32 points; an additive shift mod 1
    # would break this), and across replicates a given point is uniform on (0, 1)^2
    points, replicates = 32, 4096
    u = mc._sobol(replicates, points, 2, make_generator(11, CPU)).reshape(replicates, points, 2)
    assert bool(((u > 0) & (u < 1)).all())
    for a in range(6):  # boxes 2^-a by 2^-(5-a)
        cells = torch.floor(u[..., 0] * 2 ** a) * 2 ** (5 - a) + torch.floor(u[..., 1] * 2 ** (5 - a))
        counts = torch.stack([torch.bincount(row.long(), minlength=32) for row in cells[:50]])
        assert bool((counts == 1).all()), a
    for dim in range(2):
        assert stats.kstest(u[:, 0, dim].numpy(), "uniform").pvalue > 1e-6
    # replicates differ (independent shifts), and RQMC main runs use at least RQMC_REPLICATES units
    assert len({tuple(r) for r in u[:, 0].tolist()}) > replicates - 5
    integrand, mean = mixed_integrand()
    result = monte_carlo_check(integrand, mean, make_generator(2, CPU), methods=("rqmc",))
    assert result.units >= mc.RQMC_REPLICATES and result.dof == result.units - 1
