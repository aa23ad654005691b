"""Diffusion code as libraries write it (issue 81): a schedule array and a timestep index. User-style
DDPM functions written for these tests (NumPy and torch, batched over t): a right one conforms under the
linear and the cosine schedule with its index base detected; a declared base the code does not use is
the named slip 'timestep index off by one'; a partial index slip is the claim's registered variant."""

from __future__ import annotations

import numpy as np
import pytest

from derivspec.app.cli import main
from derivspec.testing import ConformanceUsageError, NonConformance, conforms
from derivspec.testing.schedules import cosine_betas, linear_betas

EXAMPLES = 40


def posterior_mean(x0, xt, t, betas):
    """Mean of q(x_{t-1} | x_t, x_0), t counted from 0 (betas[0] is beta_1)."""
    alphas = 1.0 - betas
    alphas_cumprod = np.cumprod(alphas)
    alphas_cumprod_prev = np.append(1.0, alphas_cumprod[:-1])
    coef_x0 = betas * np.sqrt(alphas_cumprod_prev) / (1.0 - alphas_cumprod)
    coef_xt = (1.0 - alphas_cumprod_prev) * np.sqrt(alphas) / (1.0 - alphas_cumprod)
    return coef_x0[t] * x0 + coef_xt[t] * xt


def posterior_mean_from_one(x0, xt, t, betas):
    """The same, t counted from 1."""
    return posterior_mean(x0, xt, t - 1, betas)


def posterior_mean_prev_slip(x0, xt, t, betas):
    """Slipped: alpha_bar_t where alpha_bar_{t-1} belongs on x_0."""
    alphas = 1.0 - betas
    alphas_cumprod = np.cumprod(alphas)
    alphas_cumprod_prev = np.append(1.0, alphas_cumprod[:-1])
    coef_x0 = betas * np.sqrt(alphas_cumprod) / (1.0 - alphas_cumprod)
    coef_xt = (1.0 - alphas_cumprod_prev) * np.sqrt(alphas) / (1.0 - alphas_cumprod)
    return coef_x0[t] * x0 + coef_xt[t] * xt


def test_the_named_schedules():
    betas = linear_betas(1000)
    assert betas[0] == 1e-4 and betas[-1] == pytest.approx(0.02) and np.all(np.diff(betas) > 0)
    cosine = cosine_betas(1000)
    assert 0 < cosine[0] < 1e-4 and cosine.max() == pytest.approx(0.999)
    assert np.cumprod(1 - cosine)[-1] < 1e-3 < np.cumprod(1 - cosine)[500]


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
@pytest.mark.parametrize("fn, base", [(posterior_mean, 0), (posterior_mean_from_one, 1)])
def test_a_schedule_indexed_posterior_mean_conforms_with_its_index_detected(schedule, fn, base):
    report = conforms("ddpm.posterior.mean", fn, schedule=schedule, max_examples=EXAMPLES)
    assert report.declared["schedule"] == (f"schedule {schedule} (T=1000), timestep index {base}-based (detected)")
    assert report.called.startswith("NumPy arrays, batched")


def test_an_index_off_by_one_is_named():
    with pytest.raises(NonConformance) as caught:
        conforms("ddpm.posterior.mean", posterior_mean_from_one, schedule="linear", index=0, max_examples=EXAMPLES)
    failure = caught.value
    assert failure.slip == "timestep index off by one (it gives step t-1's value at step t)"
    assert failure.declaration == {"index": 1}
    with pytest.raises(NonConformance) as caught:
        conforms("ddpm.posterior.mean", posterior_mean, schedule="cosine", index=1, max_examples=EXAMPLES)
    assert caught.value.slip.startswith("timestep index off by one") and caught.value.declaration == {"index": 0}


def test_a_partial_index_slip_is_the_registered_variant():
    with pytest.raises(NonConformance) as caught:
        conforms("ddpm.posterior.mean", posterior_mean_prev_slip, schedule="linear", max_examples=EXAMPLES)
    assert caught.value.slip == "wrong index: sqrt(alpha_bar_t) on x_0"


def test_torch_code_with_a_short_schedule_and_mapped_names():
    torch = pytest.importorskip("torch")

    def posterior_variance(step, beta_schedule):
        alphas_cumprod = torch.cumprod(1.0 - beta_schedule, dim=0)
        prev = torch.cat([torch.ones(1, dtype=beta_schedule.dtype), alphas_cumprod[:-1]])
        return (beta_schedule * (1.0 - prev) / (1.0 - alphas_cumprod))[step]

    report = conforms("ddpm.posterior.variance", posterior_variance, schedule="cosine", steps=50,
                      args={"step": "t", "beta_schedule": "betas"}, max_examples=EXAMPLES)
    assert "T=50" in report.declared["schedule"] and report.called.startswith("torch tensors")


def test_bad_schedules_are_one_line_errors(tmp_path, monkeypatch, capsys):
    (tmp_path / "ddpm_code.py").write_text("def mean(x0, xt, t, betas):\n    return x0\n")
    monkeypatch.chdir(tmp_path)
    assert main(["conform", "ddpm.posterior.mean", "ddpm_code:mean", "--schedule", "quadratic"]) == 2
    assert "schedule 'quadratic' is not one of linear, cosine" in capsys.readouterr().err
    assert main(["conform", "nll.gaussian", "ddpm_code:mean", "--schedule", "linear"]) == 2
    assert "a schedule applies to claims and laws in alpha_t and alpha_bar_prev" in capsys.readouterr().err
    with pytest.raises(ConformanceUsageError, match="timestep index"):
        conforms("ddpm.posterior.variance", lambda alpha_t, alpha_bar_prev: 0.0, schedule="linear")
    with pytest.raises(ConformanceUsageError, match="index 2 is not 0 or 1"):
        conforms("ddpm.posterior.mean", posterior_mean, schedule="linear", index=2)
