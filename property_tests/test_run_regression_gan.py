"""``derivspec run`` specifications of linear, logistic and softmax regression and the GAN discriminator
(reference_models/regression.py, classifiers.py, gan1d.py): each holds in quick mode, and each of its checks rejects
a broken variant of the model (its statistic beyond the threshold) while the unbroken model passes.

Statistical checks run at the specifications' false-fail rate 1e-4 each; every draw comes from a seeded generator, so
these tests are deterministic. Broken variants are chosen (and sized) so that they are rejected with power ≈ 1."""

from __future__ import annotations

import math

import pytest
import torch

from derivspec.app.run import run_spec
from derivspec.reference_models import classifiers as cl
from derivspec.reference_models import gan1d
from derivspec.reference_models import regression as rg
from derivspec.reference_models.device import DTYPE, make_generator

CPU = torch.device("cpu")
SPECS = ("linear-regression", "logistic-regression", "softmax-regression", "gan-discriminator")


def generator(seed: int) -> torch.Generator:
    return make_generator(seed, CPU)


@pytest.mark.parametrize("name", SPECS)
def test_spec_holds_quick_and_records_its_tests(name):
    result = run_spec(name, "cpu", seed=3, quick=True, progress=False)
    assert result.passed, [c for c in result.checks if not c.holds]
    statistical = [c for c in result.checks if c.test is not None]
    assert statistical and all(c.power is not None for c in statistical)
    assert all(c.test.false_fail_rate <= 1e-3 and c.test.passed for c in statistical)
    assert all(c.power.power >= 0.5 for c in statistical), [c.power for c in statistical]  # measured 0.75–1 over seeds


# --- linear regression -------------------------------------------------------------------------------------------------

THETA = torch.tensor(rg.LINEAR_THETA, dtype=DTYPE)


def test_routes_reject_a_wrong_gradient_and_a_wrong_noise_model():
    A, y = rg.linear_data(2000, THETA, rg.LINEAR_SIGMA, generator(1))
    assert rg.routes_agree(A, y)[0]
    flipped = rg.routes_agree(A, y, gradient=lambda A_, y_, t: -rg.mse_gradient(A_, y_, t))  # ascent: diverges
    assert not flipped[0]
    student = rg.routes_agree(A, y, log_prob=lambda r, s: torch.distributions.StudentT(3.0, 0.0, s).log_prob(r))
    assert not student[0]  # a heavy-tailed NLL has another minimiser than least squares


def test_residual_test_rejects_heavy_tails_and_a_dropped_bias():
    good = rg.residual_test(*rg.linear_data(5000, THETA, rg.LINEAR_SIGMA, generator(2)))
    laplace = rg.residual_test(*rg.linear_data(5000, THETA, rg.LINEAR_SIGMA, generator(2), noise="laplace"))
    no_bias = rg.residual_test(*rg.linear_data(5000, THETA, rg.LINEAR_SIGMA, generator(2)), drop_bias=True)
    assert good.passed
    for broken in (laplace, no_bias):
        assert not broken.passed and broken.statistic > broken.threshold > good.statistic


def test_variance_mle_test_rejects_a_dropped_bias_and_the_unbiased_reading():
    good = rg.variance_mle_test(10, 2000, THETA, rg.LINEAR_SIGMA, generator(3))
    no_bias = rg.variance_mle_test(10, 2000, THETA, rg.LINEAR_SIGMA, generator(3), drop_bias=True)
    unbiased = rg.variance_mle_test(10, 2000, THETA, rg.LINEAR_SIGMA, generator(3), dof=10)
    assert good.passed
    for broken in (no_bias, unbiased):
        assert not broken.passed and broken.statistic > broken.threshold > good.statistic


def test_a_batch_of_data_sets_is_fitted_as_each_one_alone():
    A, y = rg.linear_data(10, THETA, rg.LINEAR_SIGMA, generator(5), batch=(3,))
    assert A.shape == (3, 10, 4) and y.shape == (3, 10)
    for drop_bias in (False, True):
        theta, residuals, variance = rg.least_squares_fit(A, y, drop_bias=drop_bias)
        for i in range(3):
            alone = rg.least_squares_fit(A[i], y[i], drop_bias=drop_bias)
            for batched, single in zip((theta[i], residuals[i], variance[i]), alone):
                torch.testing.assert_close(batched, single, rtol=1e-12, atol=1e-12)
    with pytest.raises(rg.ParameterError, match=r"X \(n, d\)"):
        rg.fit_by_mse(A, y)  # the numerical fits take one data set


# --- logistic regression -----------------------------------------------------------------------------------------------

LOGISTIC = torch.tensor(cl.LOGISTIC_THETA, dtype=DTYPE)


def test_logistic_gradient_checks_reject_a_wrong_sign():
    good = cl.logistic_checks(5000, LOGISTIC, generator(4))
    wrong = cl.logistic_checks(5000, LOGISTIC, generator(4), dloss_dlogit=lambda y, z: y - torch.sigmoid(z))
    assert good["gradient_ok"] and good["reached"]
    assert not wrong["gradient_ok"] and not wrong["reached"]


def test_logistic_fit_checks_reject_pm1_labels_and_probit_data():
    good = cl.logistic_checks(20_000, LOGISTIC, generator(5))
    pm1 = cl.logistic_checks(20_000, LOGISTIC, generator(5), labels="pm1")
    probit = cl.logistic_checks(20_000, LOGISTIC, generator(5), link="probit", scale=1.0)
    assert good["wald"].passed and good["calibration"].passed
    for broken in (pm1, probit):
        assert broken["wald"].statistic > broken["wald"].threshold > good["wald"].statistic
    assert pm1["calibration"].statistic > pm1["calibration"].threshold > good["calibration"].statistic


def test_logistic_calibration_rejects_probit_data_of_the_same_slope():
    # only the link's shape differs (Φ(z/1.7) ≈ σ(z)): N = 200 000 gives power ≈ 1 (quick mode's 50 000: 8/8)
    good = cl.logistic_checks(200_000, LOGISTIC, generator(6))["calibration"]
    probit = cl.logistic_checks(200_000, LOGISTIC, generator(6), link="probit")["calibration"]
    assert good.passed and probit.statistic > probit.threshold > good.statistic


# --- softmax regression ------------------------------------------------------------------------------------------------

SOFTMAX = torch.tensor(cl.SOFTMAX_W, dtype=DTYPE)


def test_softmax_checks_reject_broken_variants():
    good = cl.softmax_checks(10_000, SOFTMAX, generator(7))
    assert good["gradient_ok"] and good["invariant"] and good["reached"] and good["wald"].passed
    assert good["calibration"].passed
    unnormalised = cl.softmax_checks(10_000, SOFTMAX, generator(7), dloss_dlogits=lambda Y, Z: torch.exp(Z) - Y)
    assert not unnormalised["gradient_ok"] and not unnormalised["reached"]
    naive = cl.softmax_checks(10_000, SOFTMAX, generator(7), log_softmax=cl.naive_log_softmax)
    assert not naive["invariant"]  # exp(±1000) overflows: the fused log-sum-exp form is what stays invariant
    wrong_axis = cl.softmax_checks(10_000, SOFTMAX, generator(7), probabilities=lambda z: torch.softmax(z, dim=0))
    overconfident = cl.softmax_checks(10_000, SOFTMAX, generator(7), temperature=0.6)
    for broken in (wrong_axis, overconfident):
        assert broken["calibration"].statistic > broken["calibration"].threshold > good["calibration"].statistic


def test_shift_invariance_tolerance_is_met_by_the_fused_op_and_missed_by_a_non_invariant_normalisation():
    z = torch.randn(500, 4, generator=generator(8), dtype=DTYPE)
    labels = torch.randint(0, 4, (500,), generator=generator(8))
    assert cl.shift_invariance(z, labels)[0]
    ratio = lambda logits: torch.log(logits.abs() / logits.abs().sum(1, keepdim=True))  # noqa: E731
    assert not cl.shift_invariance(z, labels, log_softmax=ratio)[0]


# --- GAN discriminator -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained():
    return gan1d.train_discriminator(generator(9), steps=1500)


def swapped(real_logit, fake_logit):
    return gan1d.discriminator_bce(fake_logit, real_logit)


def exponential(real_logit, fake_logit):  # AdaBoost's loss: its optimum is logit = ½ log(p/q), not log(p/q)
    return torch.exp(-real_logit).mean() + torch.exp(fake_logit).mean()


def claimed_value() -> float:
    return -math.log(4) + 2 * float(gan1d.jsd_by_quadrature(*gan1d.GAN_DATA, *gan1d.GAN_GENERATOR, CPU))


def test_trained_discriminator_passes_and_broken_ones_are_rejected(trained):
    good_calibration = gan1d.discriminator_calibration(lambda x: gan1d.discriminator_logit(trained, x), 20_000, generator(10))
    good_value = gan1d.value_z_test(lambda x: gan1d.discriminator_logit(trained, x), 50_000, generator(11), claimed_value())[0]
    assert good_calibration.passed and good_value.passed
    broken = {"swapped labels": gan1d.train_discriminator(generator(9), steps=1500, loss=swapped),
              "exponential loss": gan1d.train_discriminator(generator(9), steps=1500, loss=exponential)}
    logits = {name: (lambda x, w=w: gan1d.discriminator_logit(w, x)) for name, w in broken.items()}
    logits["D = q/(p + q)"] = lambda x: -gan1d.optimal_logit(x)
    for name, logit in logits.items():
        calibration = gan1d.discriminator_calibration(logit, 20_000, generator(10))
        assert calibration.statistic > calibration.threshold > good_calibration.statistic, name
    for name in ("swapped labels", "D = q/(p + q)"):
        value = gan1d.value_z_test(logits[name], 50_000, generator(11), claimed_value())[0]
        assert value.statistic > value.threshold > good_value.statistic, name


def test_value_test_rejects_a_claim_without_the_jsd_term(trained):
    test = gan1d.value_z_test(lambda x: gan1d.discriminator_logit(trained, x), 50_000, generator(12), -math.log(4))[0]
    assert test.statistic > test.threshold


def test_exponential_loss_lands_on_half_the_optimal_logit():
    # the broken variant really is a different discriminator: w ≈ ½ (log p − log q) coefficients
    w = gan1d.train_discriminator(generator(13), steps=3000, loss=exponential)
    x = torch.linspace(-2, 3, 11, dtype=DTYPE)
    assert torch.allclose(gan1d.discriminator_logit(w, x), 0.5 * gan1d.optimal_logit(x), atol=0.05)
    assert not torch.allclose(gan1d.discriminator_logit(w, x), gan1d.optimal_logit(x), atol=0.05)
