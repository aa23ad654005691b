"""`conform` never passes a wrong implementation (issue 87): code as it is written in real repositories --
in our own words (conform_fixtures/real_shapes.py and the functions below) -- each right version accepted
with the declarations a careful user gives, each slipped twin rejected with its slip named.

* batches as batches: a function that accepts a batch is called batched and per input; a sum over the
  batch axis, a normaliser across it, a shape error on a batch are findings, never a silent fallback;
* a tolerance no wider than the formula's own rounding: a float32 posterior variance upside down is
  rejected at every seed; a deviation of one sign and ratio is a slip; the schedule's ends, the
  parameters' extremes and the branch boundaries are always checked;
* slips named by mutation of the target's expression tree (and at the inputs and the output);
* no internal error from the user's shapes or dtypes; messages that lead to the right declaration.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from derivspec.core import registry
from derivspec.testing import NonConformance, conforms
from derivspec.testing.errors import ConformanceUsageError

torch = pytest.importorskip("torch")

from conform_fixtures import real_shapes as shapes  # noqa: E402

EXAMPLES = 30


def _failure(claim, fn, **options) -> NonConformance:
    with pytest.raises(NonConformance) as caught:
        conforms(claim, fn, max_examples=EXAMPLES, **options)
    return caught.value


# --- batches are tested as batches ------------------------------------------------------------------------

def test_a_sum_over_the_batch_axis_is_a_finding_not_a_fallback():
    """Summed over dim 0, the right axis for one example alone: handed a batch it returns one value per
    dimension -- named, with the declaration that would fit code written for one input."""
    failure = _failure("nll.gaussian.diagonal", shapes.diag_gauss_nll_batch_axis)
    assert failure.kind == "batch" and failure.slip.startswith("sums over the batch axis")
    assert failure.declaration == {"batching": "unbatched"}
    assert conforms("nll.gaussian.diagonal", shapes.diag_gauss_nll, max_examples=EXAMPLES).conforms
    report = conforms("nll.gaussian.diagonal", shapes.diag_gauss_nll_batch_axis, max_examples=EXAMPLES,
                      batching="unbatched")
    assert "one input per call (declared)" in report.called


def neglogp_two_axes(x, mean, logstd):
    """A diagonal Gaussian's -log p with the squares summed over axis 0 and the log-scales over the last:
    on a batch the two terms' shapes no longer fit."""
    return (0.5 * np.sum(((x - mean) / np.exp(logstd)) ** 2, axis=0) + 0.5 * math.log(2 * math.pi) * x.shape[-1]
            + np.sum(logstd, axis=-1))


def test_a_shape_error_on_a_batch_where_one_input_works_is_the_axis_slip():
    failure = _failure("nll.gaussian.diagonal", neglogp_two_axes,
                       args={"x": "y", "mean": "mu", "logstd": "log(sigma)"})
    assert failure.kind == "batch" and "batch axis" in failure.slip
    assert "could not be broadcast" in str(failure)


def test_rows_read_where_columns_belong_are_caught_on_a_batch():
    """Written for one example (y[d]): on a batch it reads rows; the batched and per-input values differ."""
    assert conforms("nll.gaussian.diagonal", shapes.two_coordinate_nll, max_examples=EXAMPLES, sizes={"D": 2}).conforms
    failure = _failure("nll.gaussian.diagonal", shapes.two_coordinate_nll_rows, sizes={"D": 2})
    assert failure.kind == "batch"


def test_a_batch_only_function_is_compared_through_batches_of_one():
    """A function that takes only a batch (it iterates over rows, or indexes columns) raises nothing of
    the kit's own: one input is handed as a batch of one."""
    report = conforms("nll.categorical", shapes.three_class_nll, args={"logits": "h"}, max_examples=EXAMPLES)
    assert report.conforms and "batched" in report.called
    failure = _failure("nll.categorical", shapes.three_class_nll_batch_normaliser, args={"logits": "h"})
    assert failure.kind == "batch"


# --- a tolerance that cannot hide a slip --------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0] + [pytest.param(s, marks=pytest.mark.slow) for s in (1, 2, 3, 4)])
def test_a_float32_posterior_variance_upside_down_is_rejected_at_every_seed(seed):
    assert conforms("ddpm.posterior.variance", shapes.posterior_variance_f32, schedule="linear", seed=seed,
                    max_examples=EXAMPLES).conforms
    failure = _failure("ddpm.posterior.variance", shapes.posterior_variance_f32_inverted, schedule="linear",
                       seed=seed)
    assert failure.slip and failure.slip.startswith("ratio inverted")


def test_float64_precision_on_a_float32_output_is_refused():
    with pytest.raises(ConformanceUsageError, match="float64 accuracy, but .* returns float32"):
        conforms("ddpm.posterior.variance", shapes.posterior_variance_f32, schedule="linear", precision="float64",
                 max_examples=EXAMPLES)


def kl_drifting(mu1, sigma1, mu2, sigma2):
    """A Gaussian KL that is the target times (1 + 4e-15): inside a rounding allowance, but always above."""
    kl = np.log(sigma2 / sigma1) + (sigma1 ** 2 + (mu1 - mu2) ** 2) / (2 * sigma2 ** 2) - 0.5
    return kl * (1 + 4e-15)


def test_a_deviation_of_one_sign_and_ratio_is_a_slip_not_rounding():
    failure = _failure("kl.gaussian.univariate", kl_drifting)
    assert failure.kind == "wrong" and "systematic" in str(failure)
    assert conforms("kl.gaussian.univariate", shapes.kl_q_to_p, max_examples=EXAMPLES,
                    args={"mu_q": "mu1", "std_q": "sigma1", "mu_p": "mu2", "std_p": "sigma2"}).conforms


def posterior_variance_last_step_clipped(t, betas):
    """Right at every step but the last, where it returns beta_T (a clipping written for another schedule)."""
    betas = np.asarray(betas, dtype=np.float64)
    alphas_cumprod = np.cumprod(1 - betas)
    previous = np.append(1.0, alphas_cumprod[:-1])
    value = betas * (1 - previous) / (1 - alphas_cumprod)
    value[-1] = betas[-1]
    return value[t]


def test_the_schedule_ends_are_always_checked():
    failure = _failure("ddpm.posterior.variance", posterior_variance_last_step_clipped, schedule="linear")
    assert failure.point["step"] == 1000


def test_branch_boundaries_and_extremes_are_among_the_inputs():
    from derivspec.testing.conforms import specification
    from derivspec.testing.edges import always

    claim = registry.get("nll.huber")
    spec = specification(claim, shapes.huber_elementwise, None, None, None)
    points = always(spec, 0)
    assert any(math.isclose(abs(p["y"] - p["mu"]), p["delta"], rel_tol=1e-12) for p in points)
    assert any(p["delta"] < 1e-8 for p in points) and any(abs(p["y"]) >= 1000 for p in points)


# --- slips named by mutation ---------------------------------------------------------------------------------

def posterior_mean_abar_for_alpha(x0, xt, alpha_t, alpha_bar_prev):
    abar = alpha_t * alpha_bar_prev
    return (np.sqrt(alpha_bar_prev) * (1 - alpha_t) * x0 + np.sqrt(abar) * (1 - alpha_bar_prev) * xt) / (1 - abar)


def gauss_nll_logvar_exp(y, mu, logvar):
    return 0.5 * (np.log(2 * np.pi) + logvar + (y - mu) ** 2 * np.exp(logvar))


def gauss_nll_std_without_root(y, mu, logvar):
    std = np.exp(logvar)
    return 0.5 * np.log(2 * np.pi) + np.log(std) + (y - mu) ** 2 / (2 * std ** 2)


def kl_from_variances_log_std_ratio(m1, v1, m2, v2):
    return 0.5 * np.log(np.sqrt(v2) / np.sqrt(v1)) + (v1 + (m1 - m2) ** 2) / (2 * v2) - 0.5


def vae_loss_kl_averaged(x, p, mu, logvar):
    bce = -(x * torch.log(p) + (1 - x) * torch.log1p(-p)).sum(-1)
    return bce + 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).mean(-1)


@pytest.mark.parametrize("claim, fn, options, named", [
    ("ddpm.posterior.mean", posterior_mean_abar_for_alpha, {}, "alpha_bar_t in place of alpha_t"),
    ("nll.gaussian", gauss_nll_logvar_exp, {"args": {"logvar": "2*log(sigma)"}}, "sigma**2 in place of sigma**(-2)"),
    ("nll.gaussian", gauss_nll_std_without_root, {"args": {"logvar": "2*log(sigma)"}}, "sigma**2 in place of sigma"),
    ("kl.gaussian.univariate", kl_from_variances_log_std_ratio,
     {"args": {"m1": "mu1", "v1": "sigma1**2", "m2": "mu2", "v2": "sigma2**2"}}, "log(sqrt(sigma2)/sqrt(sigma1))"),
    ("vae.loss.bernoulli", vae_loss_kl_averaged, {"args": {"x": "x", "p": "p", "mu": "[mu]", "logvar": "[2*log(sigma)]"}},
     "averages over J"),
    ("ddpm.posterior.variance", shapes.posterior_variance_f32_inverted, {"schedule": "linear"}, "ratio inverted"),
    ("kl.gaussian.standard", shapes.kl_to_standard_from_logvar_negexp, {"args": {"logvar": "2*log(sigma)"}},
     "sigma**(-2) in place of sigma**2"),
    ("kl.gaussian.univariate", shapes.kl_q_to_p_laws_swapped,
     {"args": {"mu_q": "mu1", "std_q": "sigma1", "mu_p": "mu2", "std_p": "sigma2"}}, "arguments swapped"),
    ("ddpm.parameterisation.v", shapes.v_target_swapped, {"args": {"alpha_bar": "alpha_bar_t"}}, "roles of"),
], ids=["abar-for-alpha", "exp-logvar", "std-without-root", "log-std-ratio", "kl-averaged", "ratio-inverted",
        "negexp", "laws-swapped", "x0-eps-swapped"])
def test_slips_no_claim_registers_are_named_by_mutation(claim, fn, options, named):
    failure = _failure(claim, fn, **options)
    assert failure.slip and named in failure.slip, failure.slip


def bce_logits_read_as_probabilities(y, z):
    """from_logits forgotten: the logits used as probabilities."""
    return -(y * np.log(z) + (1 - y) * np.log1p(-z))


def bce_abs_dropped(y, z):
    """The stable form max(z, 0) - y z + log1p(exp(-|z|)) with the |z| written z."""
    return np.maximum(z, 0) - y * z + np.log1p(np.exp(-z))


def test_slips_at_the_input_and_by_side_are_named():
    failure = _failure("nll.bernoulli.logits", bce_logits_read_as_probabilities)
    assert "logit(z)" in failure.slip
    failure = _failure("nll.bernoulli.logits", bce_abs_dropped)
    assert failure.slip.startswith("right only where z is positive")


# --- no internal error from the user's shapes and dtypes -------------------------------------------------------

def returns_a_dict(y, mu, sigma):
    return {"loss": y}


def returns_three_columns(y, mu, sigma):
    return torch.stack([y, mu, sigma], -1)


def wants_float32(y, mu, sigma):
    if y.dtype != torch.float32:
        raise TypeError(f"expected float32, got {y.dtype}")
    return torch.log(sigma) + (y - mu) ** 2 / (2 * sigma ** 2)


@pytest.mark.parametrize("fn, kind", [(returns_a_dict, "raised"), (returns_three_columns, "batch"),
                                      (wants_float32, "raised")], ids=["dict", "columns", "dtype"])
def test_odd_outputs_and_dtypes_are_one_finding_each(fn, kind):
    failure = _failure("nll.gaussian", fn)
    assert failure.kind == kind
    assert "float64" in str(failure).splitlines()[0] or kind != "raised" or fn is returns_a_dict


def test_binary_targets_come_as_floats():
    """BCE code takes its targets as floats (torch's binary_cross_entropy refuses integer targets)."""
    def bce(p, y):
        return torch.nn.functional.binary_cross_entropy(p, y, reduction="none")

    assert conforms("nll.bernoulli", bce, max_examples=EXAMPLES).conforms


# --- messages that lead to the right declaration ----------------------------------------------------------------

def batch_mean_bce(p, y):
    return -(y[:, None] * torch.log(p[:, None]) + (1 - y[:, None]) * torch.log1p(-p[:, None])).mean()


def smooth_l1_with_branch(y, mu, beta):
    r = torch.abs(y - mu)
    if beta < 1e-5:
        return r
    return torch.where(r < beta, 0.5 * r ** 2 / beta, r - 0.5 * beta)


def test_the_declaration_a_failure_points_to():
    failure = _failure("nll.bernoulli", batch_mean_bce)
    assert failure.declaration == {"conventions": {"reduction": "mean"}}
    assert conforms("nll.bernoulli", batch_mean_bce, conventions={"reduction": "mean"}, max_examples=EXAMPLES).conforms
    report = conforms("nll.smooth-l1", smooth_l1_with_branch, fix={"beta": 1.5}, max_examples=EXAMPLES)
    assert report.conforms
    failure = _failure("nll.smooth-l1", smooth_l1_with_branch)
    assert "fix={'beta': 'VALUE'}" in str(failure)


def test_a_vector_name_and_its_elementwise_expressions_are_args():
    report = conforms("nll.gaussian.diagonal", shapes.diag_gauss_nll, max_examples=EXAMPLES,
                      args={"y": "y", "mu": "mu", "sigma": "exp(log(sigma))"})
    assert report.conforms and report.sizes


def test_a_size_of_the_users_own_is_held():
    report = conforms("nll.gaussian.diagonal", shapes.diag_gauss_nll, max_examples=EXAMPLES, sizes={"D": 7})
    assert report.sizes == {"D": [7]}
    with pytest.raises(ConformanceUsageError, match="not a size of"):
        conforms("nll.gaussian.diagonal", shapes.diag_gauss_nll, max_examples=EXAMPLES, sizes={"K": 7})


def test_under_up_to_the_counterexample_shows_the_target_itself():
    def nll_half_constant_dropped_and_wrong(y, mu, sigma):
        return np.log(sigma) + (y - mu) ** 2 / (2 * sigma)

    failure = _failure("nll.gaussian", nll_half_constant_dropped_and_wrong, up_to=["constant"])
    assert "the target itself is" in str(failure) or failure.slip


def q_sample(x0, t, alphas_cumprod, n, rng):
    abar = alphas_cumprod[t]
    return np.sqrt(abar) * x0 + np.sqrt(1 - abar) * rng.standard_normal(n)


def test_a_sampler_takes_a_schedule():
    from derivspec.testing import conforms_in_distribution

    report = conforms_in_distribution("ddpm.forward.jump", q_sample, schedule="linear")
    assert report.conforms and "steps 2, 500, 1000 checked" in report.schedule


def test_the_command_line_keeps_hypothesis_out_of_the_folder(tmp_path, monkeypatch, capsys):
    from derivspec.app.cli import main

    (tmp_path / "mine.py").write_text("import numpy as np\n\ndef nll(y, p):\n"
                                      "    return -(y * np.log(p) + (1 - y) * np.log1p(-p))\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    assert main(["conform", "nll.bernoulli", "mine:nll", "--max-examples", "20"]) == 0
    assert "conforms to nll.bernoulli" in capsys.readouterr().out
    assert not (tmp_path / ".hypothesis").exists()
