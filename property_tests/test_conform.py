"""derivspec.testing: the user's own implementations checked against the claims (issue 59).

User-style implementations written for these tests live in property_tests/conform_fixtures/ (NumPy,
plain Python and torch; batched and not; most need ``args`` or ``conventions``): three right ones
pass; ten wrong ones fail with the slip named and a shrunk counterexample that reproduces the
failure; a naive ``log(sigmoid(z))`` is reported as numerically unstable, not as a wrong formula.
Then bad input (exit 2), the command line, samplers against laws, and the pytest plugin.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from derivspec.app.cli import main
from derivspec.testing import (ConformanceInconclusive, ConformanceUsageError, NonConformance, conforms,
                               conforms_in_distribution)
from derivspec.testing import calling
from property_tests.conform_fixtures import numpy_style as student

torch = pytest.importorskip("torch")
from property_tests.conform_fixtures import torch_style as student_torch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
KL_LOGVAR = {"m1": "mu1", "lv1": "2*log(sigma1)", "m2": "mu2", "lv2": "2*log(sigma2)"}
DDPM = {"beta_t": "1 - alpha_t", "abar_t": "alpha_t*alpha_bar_prev", "abar_prev": "alpha_bar_prev"}
VAE = {"args": {"x": "[x1, x2]", "p": "[p1, p2]"}, "conventions": {"reduction": "mean"}}

RIGHT = [
    ("kl.gaussian.univariate", student.kl_logvar, {"args": KL_LOGVAR}, "numpy", "float64"),
    ("ddpm.posterior.mean", student.posterior_mean, {"args": DDPM}, "python", "float64"),
    ("vae.loss.bernoulli", student_torch.vae_loss_mean, VAE, "torch", "float32"),
]

# (claim, function, options, kind, slip, convention)
WRONG = [
    ("kl.gaussian.univariate", student.kl_swapped, {}, "wrong", "arguments swapped (KL(q||p))", None),
    ("nll.gaussian", student.gaussian_nll_half_dropped, {}, "wrong", "missing 1/2 on the log term", None),
    ("nll.gaussian", student.gaussian_nll_sigma_for_variance, {}, "wrong", "sigma in place of sigma^2", None),
    ("vae.loss.bernoulli", student_torch.vae_loss_sum, VAE, "wrong", None, {"reduction": "sum"}),
    ("kl.entropy.bernoulli", student.bernoulli_entropy_bits, {}, "wrong", None, {"log_base": "2"}),
    ("nll.gaussian", student.gaussian_nll_grad_mu, {"wrt": ["mu"]}, "wrong", "sign flipped", None),
    ("estimation.gaussian.variance", student.mle_variance, {"args": {"x": "[x1, x2, x3]"}}, "wrong",
     "the unbiased 1/(n - 1) estimator", None),
    ("ddpm.posterior.mean", student.posterior_mean_index_slip, {"args": DDPM}, "wrong",
     "wrong index: sqrt(alpha_bar_t) on x_0", None),
    ("flow.change-of-variables.scalar", student_torch.lognormal_logpdf_no_logdet, {}, "wrong",
     "dropped the Jacobian factor |g'(y)|", None),
]


@pytest.mark.parametrize("claim, fn, options, kind, dtype", RIGHT, ids=lambda x: getattr(x, "__name__", None))
def test_right_implementations_conform(claim, fn, options, kind, dtype):
    report = conforms(claim, fn, **options)
    assert report.conforms and report.claim == claim
    assert report.examples >= 50  # typical inputs and the edges, batched calls counted per input
    assert report.dtype == dtype and report.called.startswith({"numpy": "NumPy", "python": "Python",
                                                               "torch": "torch"}[kind])
    assert 0 <= report.largest_ratio <= 1 and report.largest_error <= report.tolerance


@pytest.mark.parametrize("claim, fn, options, kind, slip, convention", WRONG, ids=lambda x: getattr(x, "__name__", None))
def test_wrong_implementations_fail_with_the_slip_named(claim, fn, options, kind, slip, convention):
    with pytest.raises(NonConformance) as caught:
        conforms(claim, fn, **options)
    failure = caught.value
    assert isinstance(failure, AssertionError)  # fails a pytest test
    assert (failure.claim, failure.kind, failure.slip, failure.convention) == (claim, kind, slip, convention)
    assert (slip or next(iter(convention.values()))) in str(failure)
    _reproduces(fn, failure, options)


def _reproduces(fn, failure: NonConformance, options: dict) -> None:
    """The counterexample is a real one: the function gives ``actual`` there, far from ``expected``."""
    example = failure.counterexample
    if isinstance(example, list):  # a batch (a reduction): stack it as the check did
        if "vae" in failure.claim:
            example = {k: torch.tensor(np.array([e[k] for e in example], dtype=float)) for k in example[0]}
        else:
            example = {k: np.array([e[k] for e in example]) for k in example[0]}
    else:
        example = {k: (np.array(v) if isinstance(v, list) else v) for k, v in example.items()}
        if "torch" in fn.__module__:
            example = {k: torch.tensor(v, dtype=torch.float64) for k, v in example.items()}
    got, _ = calling.as_array(fn(**example))
    assert np.allclose(got.reshape(-1), np.ravel(failure.actual), rtol=1e-6)
    assert abs(float(np.ravel(failure.actual)[0]) - float(np.ravel(failure.expected)[0])) > failure.tolerance
    # shrunk: the counterexample is made of simple numbers (Hypothesis shrinks toward small integers and halves)
    values = [v for v in _flat(failure.counterexample)]
    assert all(abs(v) <= 2 and float(v) * 4 == int(float(v) * 4) for v in values), values


def _flat(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _flat(v)
    elif isinstance(value, list):
        for v in value:
            yield from _flat(v)
    else:
        yield value


def test_a_wrong_sampler_fails_with_the_slip_named():
    """The tenth slip, √α_t for √ᾱ_t, lives in a forward-diffusion sampler."""
    args = {"abar_t": "alpha_t*alpha_bar_prev"}
    report = conforms_in_distribution("ddpm.forward.jump", student.q_sample, args=args, seed=3)
    assert report.conforms and report.false_fail == 1e-6 and report.n >= 10_000
    assert report.power["sqrt(alpha_t) for sqrt(alpha_bar_t) in the mean"] > 0.999999
    assert 0.99 <= report.power["variance off by the smallest detectable error"] < 0.999
    with pytest.raises(NonConformance) as caught:
        conforms_in_distribution("ddpm.forward.jump", student.q_sample_alpha_slip, args=args, seed=3)
    assert caught.value.slip == "sqrt(alpha_t) for sqrt(alpha_bar_t) in the mean"
    assert caught.value.details["fits"] == ["sqrt(alpha_t) for sqrt(alpha_bar_t) in the mean"]


def test_naive_log_sigmoid_is_unstable_not_wrong():
    with pytest.raises(NonConformance) as caught:
        conforms("nll.bernoulli.logits", student.bce_naive)
    failure = caught.value
    assert failure.kind == "unstable" and failure.slip is None and failure.convention is None
    assert abs(failure.counterexample["z"]) >= 30  # large |z|: exp overflows or 1 - sigmoid(z) rounds to 0
    assert not np.isfinite(failure.actual) and np.isfinite(failure.expected)
    assert "numerically unstable at" in str(failure) and "wrong formula" not in str(failure)


def test_a_stable_log_sigmoid_conforms():
    def bce_stable(y, z):
        return np.logaddexp(0, z) - y * z

    assert conforms("nll.bernoulli.logits", bce_stable).examples >= 50


def test_a_function_that_raises_is_a_failure_with_its_input():
    def kl_refuses_small_sigma(mu1, sigma1, mu2, sigma2):
        if sigma1 < 0.5:
            raise ValueError(f"sigma1 too small: {sigma1}")
        return np.log(sigma2 / sigma1) + (sigma1 ** 2 + (mu1 - mu2) ** 2) / (2 * sigma2 ** 2) - 0.5

    with pytest.raises(NonConformance) as caught:
        conforms("kl.gaussian.univariate", kl_refuses_small_sigma)
    failure = caught.value
    assert failure.kind == "raised" and failure.error.startswith("ValueError: sigma1 too small")
    assert failure.counterexample["sigma1"] < 0.5


def test_gradient_and_list_arguments():
    def softmax_ce_grad(logits):  # d/dh1 of -log softmax(h)_1 = pi_1 - 1, with a stable softmax
        shifted = logits - logits.max(axis=-1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)
        return probs[..., 0] - 1

    report = conforms("nll.categorical", softmax_ce_grad, args={"logits": "[h1, h2, h3]"}, wrt="h1")
    assert report.wrt == ("h1",)

    def two_gradients(y, mu, sigma):  # d/dmu and d/dsigma of the Gaussian NLL, as a vector
        return np.stack([(mu - y) / sigma ** 2, 1 / sigma - (y - mu) ** 2 / sigma ** 3], axis=-1)

    assert conforms("nll.gaussian", two_gradients, wrt=["mu", "sigma"]).conforms


@pytest.mark.parametrize("options, message", [
    ({"args": {"m1": "mu1", "lv1": "2", "m2": "mu2", "lv2": "2*log(sigma2)"}}, "names no symbol"),
    ({"args": {"m1": "mu1", "lv1": "2*log(tau)", "m2": "mu2", "lv2": "2*log(sigma2)"}}, "lv1"),
    ({"args": {**KL_LOGVAR, "other": "mu1"}}, "not a parameter"),
    ({"args": KL_LOGVAR, "conventions": {"base": "2"}}, "unknown convention"),
    ({"args": KL_LOGVAR, "conventions": {"reduction": "max"}}, "not one of"),
    ({"args": KL_LOGVAR, "wrt": ["omega"]}, "not a variable"),
    ({}, "parameter 'm1'"),
])
def test_bad_input_is_a_usage_error(options, message):
    with pytest.raises(ConformanceUsageError, match=message):
        conforms("kl.gaussian.univariate", student.kl_logvar, **options)


def test_unknown_claim_and_log_base_without_a_logarithm():
    with pytest.raises(ConformanceUsageError, match="did you mean kl.gaussian.univariate"):
        conforms("kl.gaussian.univarite", student.kl_swapped)
    with pytest.raises(ConformanceUsageError, match="no logarithm"):
        conforms("ddpm.marginal.variance", lambda alpha_t, alpha_bar_prev: 1 - alpha_t * alpha_bar_prev,
                 conventions={"log_base": "2"})


def test_too_few_valid_inputs_is_inconclusive():
    def kl_standard(mu, s):
        return mu

    with pytest.raises(ConformanceInconclusive):  # exp(10^6 (sigma^2 + 1)) overflows every float
        conforms("kl.gaussian.standard", kl_standard, args={"mu": "mu", "s": "exp(10**6*(sigma**2 + 1))"})


# --- the command line -------------------------------------------------------------------------------

def _cli(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


FIXTURES = str(ROOT / "property_tests" / "conform_fixtures" / "numpy_style.py")


def test_cli_exit_codes_and_json(capsys, tmp_path):
    code, out, _ = _cli(capsys, "conform", "kl.gaussian.univariate", f"{FIXTURES}:kl_logvar", "--args", "m1=mu1",
                        "lv1=2*log(sigma1)", "m2=mu2", "lv2=2*log(sigma2)", "--json")
    result = json.loads(out)
    assert code == 0 and result["conforms"] is True and result["examples"] >= 50 and "meta" in result
    code, out, _ = _cli(capsys, "conform", "kl.gaussian.univariate", f"{FIXTURES}:kl_swapped", "--json")
    result = json.loads(out)
    assert code == 1 and result["slip"] == "arguments swapped (KL(q||p))" and result["kind"] == "wrong"
    assert set(result["counterexample"]) == {"mu1", "sigma1", "mu2", "sigma2"} and "meta" in result
    code, out, _ = _cli(capsys, "conform", "kl.entropy.bernoulli", f"{FIXTURES}:bernoulli_entropy_bits",
                        "--convention", "log_base=2")
    assert code == 0 and out.startswith("conforms to kl.entropy.bernoulli")
    code, out, _ = _cli(capsys, "conform", "kl.gaussian.univariate", f"{FIXTURES}:kl_swapped")
    assert code == 1 and "matches the known slip 'arguments swapped (KL(q||p))'" in out and "counterexample" in out


@pytest.mark.parametrize("argv, message", [
    (["kl.gaussian.univarite", f"{FIXTURES}:kl_swapped"], "unknown claim"),
    (["kl.gaussian.univariate", f"{FIXTURES}:kl_swaped"], "did you mean kl_swapped"),
    (["kl.gaussian.univariate", "no_such_module_here:kl"], "does not import"),
    (["kl.gaussian.univariate", f"{FIXTURES}:kl_logvar", "--args", "m1=mu1", "lv1=2", "m2=mu2", "lv2=log(sigma2)"],
     "names no symbol"),
    (["kl.gaussian.univariate", f"{FIXTURES}:kl_swapped", "--convention", "base=2"], "unknown convention"),
    (["kl.gaussian.univariate"], "expects CLAIM MODULE:FUNCTION"),
    (["--law", "ddpm.forward.jmp", f"{FIXTURES}:q_sample"], "unknown law"),
])
def test_cli_bad_input_exits_2_with_one_line(capsys, argv, message):
    code, out, err = _cli(capsys, "conform", *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_module_with_an_error_and_inconclusive(capsys, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("import math\nraise RuntimeError('half-finished homework')\n")
    code, _, err = _cli(capsys, "conform", "nll.gaussian", f"{broken}:nll")
    assert code == 2 and "RuntimeError: half-finished homework" in err
    lonely = tmp_path / "lonely.py"
    lonely.write_text("def kl(mu, s):\n    return mu\n")
    code, out, _ = _cli(capsys, "conform", "kl.gaussian.standard", f"{lonely}:kl", "--args", "mu=mu",
                        "s=exp(10**6*(sigma**2 + 1))")
    assert code == 3 and out.startswith("inconclusive")


def test_cli_law(capsys):
    code, out, _ = _cli(capsys, "conform", "--law", "ddpm.forward.jump", f"{FIXTURES}:q_sample_alpha_slip",
                        "--args", "abar_t=alpha_t*alpha_bar_prev", "--json")
    result = json.loads(out)
    assert code == 1 and result["slip"] == "sqrt(alpha_t) for sqrt(alpha_bar_t) in the mean"
    code, out, _ = _cli(capsys, "conform", "--law", "list")
    assert code == 0 and "langevin.stationary" in out


# --- samplers against laws --------------------------------------------------------------------------

@pytest.mark.parametrize("law", ["ddpm.forward.step", "gaussian.reparameterised", "categorical.temperature",
                                 "categorical.top-k", "categorical.nucleus", "importance-sampling.weights",
                                 "langevin.stationary"])
def test_each_law_passes_its_reference_and_rejects_its_wrong_samplers(law):
    from derivspec.testing.laws import LAWS

    chosen = LAWS[law]
    report = conforms_in_distribution(law, chosen.reference, seed=11)
    assert report.conforms and set(report.power) == {w.name for w in chosen.wrong}
    for wrong in chosen.wrong:
        assert report.power[wrong.name] >= 0.99, wrong.name  # every registered wrong sampler is detectable
        with pytest.raises(NonConformance) as caught:
            conforms_in_distribution(law, wrong.sampler, seed=12)
        assert caught.value.slip == wrong.name or wrong.name in caught.value.details["fits"]


def test_a_torch_sampler_gets_a_torch_generator():
    def q_sample_torch(x0, abar_t, n, rng):
        return abar_t ** 0.5 * x0 + (1 - abar_t) ** 0.5 * torch.randn(n, generator=rng, dtype=torch.float64)

    report = conforms_in_distribution("ddpm.forward.jump", q_sample_torch, args={"abar_t": "alpha_t*alpha_bar_prev"})
    assert report.conforms and report.generator == "torch"


# --- the pytest plugin ------------------------------------------------------------------------------

def test_loading_the_plugin_imports_neither_hypothesis_nor_torch():
    probe = ("import sys, derivspec.testing.plugin, derivspec.testing; "
             "print(sorted(m for m in ('hypothesis', 'torch', 'sympy', 'numpy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


COURSE_FUNCTIONS = '''
import numpy as np

def kl(mu1, sigma1, mu2, sigma2):
    return np.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2)**2) / (2 * sigma2**2) - 0.5

def kl_backwards(mu1, sigma1, mu2, sigma2):
    return np.log(sigma1 / sigma2) + (sigma2**2 + (mu1 - mu2)**2) / (2 * sigma1**2) - 0.5
'''

COURSE_TESTS = '''
import pytest
import students

def test_kl(conform):
    conform("kl.gaussian.univariate", students.kl)

@pytest.mark.derivspec("kl.gaussian.univariate", max_examples=40)
def test_kl_backwards(conform):
    conform(students.kl_backwards)
'''


def course(folder: Path, tensors_on: str | None = None) -> Path:
    """A course-style folder: a module of student functions and a test file using the fixture."""
    folder.mkdir(parents=True, exist_ok=True)
    functions, tests = COURSE_FUNCTIONS, COURSE_TESTS
    if tensors_on:
        functions = functions.replace("import numpy as np", f"import torch as np\nDEVICE = {tensors_on!r}")
        tests = tests.replace('students.kl)', 'students.kl, device=students.DEVICE)').replace(
            "conform(students.kl_backwards)", "conform(students.kl_backwards, device=students.DEVICE)")
    (folder / "students.py").write_text(textwrap.dedent(functions))
    (folder / "test_students.py").write_text(textwrap.dedent(tests))
    return folder


def _run_pytest(python: str, folder: Path, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts="], cwd=folder,
                          capture_output=True, text=True, timeout=600, env=env)


def _assert_one_pass_one_slip(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 failed, 1 passed" in done.stdout, done.stdout[-3000:]
    assert "arguments swapped (KL(q||p))" in done.stdout and "test_kl_backwards" in done.stdout
    # issue 81: the failure is at most 15 lines without the kit's source; the -q summary names the slip
    section = done.stdout.split("test_kl_backwards ___")[1].split("====")[0].strip().splitlines()
    assert 3 <= len(section) <= 15 and not any("derivspec/testing" in line for line in section), section
    summary = next(line for line in done.stdout.splitlines() if line.startswith("FAILED"))
    assert "arguments swapped (KL(q||p))" in summary[:100], summary


def test_the_plugin_in_a_course_folder(tmp_path):
    """pytest run in a course repository (this environment): one pass, one failure naming the slip."""
    env = {**os.environ, "PYTHONPATH": ""}
    _assert_one_pass_one_slip(_run_pytest(sys.executable, course(tmp_path / "course"), env))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_the_plugin_with_torch_tensors_on_cuda(tmp_path):
    env = {**os.environ, "PYTHONPATH": ""}
    _assert_one_pass_one_slip(_run_pytest(sys.executable, course(tmp_path / "course", tensors_on="cuda"), env))


@pytest.mark.slow
def test_the_plugin_in_a_fresh_venv_with_the_testing_extra(tmp_path, package_index):
    """A fresh virtual environment with ``derivspec[testing]`` (and pytest) installed from a copy of
    the repository; ``pytest`` run there as a subprocess: one pass, one failure naming the slip, exit 1.
    torch is not installed there: plain NumPy functions need none."""
    from property_tests.test_light_install import clean_env, copy_of_repository

    source = copy_of_repository(tmp_path / "src")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = str(venv / "bin" / "python")
    done = subprocess.run([python, "-m", "pip", "install", "--quiet", f"{source}[testing]", "pytest"],
                          capture_output=True, text=True, timeout=1200, env=clean_env(venv))
    assert done.returncode == 0, done.stderr[-3000:]
    missing = subprocess.run([python, "-c", "import torch"], capture_output=True, text=True, env=clean_env(venv))
    assert missing.returncode != 0
    _assert_one_pass_one_slip(_run_pytest(python, course(tmp_path / "course"), clean_env(venv)))


def test_module_of_the_working_folder_is_read_even_when_one_of_that_name_was_imported(tmp_path, monkeypatch):
    """Two folders, each with its own homework.py: run in-process one after the other, the second run
    reads the second folder's module, as a fresh process would -- not the first one's cached copy."""
    right, wrong = tmp_path / "right", tmp_path / "wrong"
    for folder, body in ((right, "0.5 * x ** 2"), (wrong, "x ** 2")):
        folder.mkdir()
        (folder / "homework.py").write_text(f"def half_square(x):\n    return {body}\n")
    monkeypatch.delitem(sys.modules, "homework", raising=False)
    monkeypatch.chdir(right)
    from derivspec.app.conform import load_function
    first = load_function("homework:half_square")
    monkeypatch.chdir(wrong)
    second = load_function("homework:half_square")
    assert first(2.0) == 2.0 and second(2.0) == 4.0
    monkeypatch.delitem(sys.modules, "homework", raising=False)
