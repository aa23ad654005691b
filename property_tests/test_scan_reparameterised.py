r"""Reparameterised samples ``v = a + B\epsilon`` judged against the law the document declares for v
(derivspec/scan/reparameterised.py; claims vae.reparameterisation.sample, ddpm.marginal.*).

The documents are written for these tests; VITutorial's notation (M3a:428, M6_ADVI:255-258) is cited where used.
"""

from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings, strategies as st

from derivspec.scan import scan_file

VAE = (r"The encoder gives $q_\phi(z|x) = \mathcal{N}(z; \mu, \sigma^2 \mathbf{I})$ and the noise is "
       r"$\epsilon \sim \mathcal{N}(0, \mathbf{I})$." "\n\n")
DIFFUSION = (r"In the forward diffusion process we add noise to $x_0$, with $\bar\alpha_t = \prod_{s=1}^t \alpha_s$."
             "\n\n")


def sample_record(tmp_path, preamble: str, statement: str):
    path = tmp_path / "notes.md"
    path.write_text(preamble + "$$" + statement + "$$\n", encoding="utf-8")
    records = [r for r in scan_file(path, workers=0, sources=False) if r.text.replace(" ", "") ==
               statement.replace(" ", "")]
    (record,) = records
    return record


def _number(text: str) -> float:
    return float(sympy.Rational(text))


@pytest.mark.parametrize("statement", [r"z = \mu + \sigma \odot \epsilon", r"z = \mu - \sigma\epsilon",
                                       r"\mathbf z = \boldsymbol\mu + \boldsymbol\sigma \odot \boldsymbol\epsilon",
                                       r"z = \sigma\epsilon + \mu"])
def test_a_vae_sample_of_the_declared_law_is_proved(tmp_path, statement):
    record = sample_record(tmp_path, VAE, statement)
    assert (record.kind, record.verdict, record.claim) == ("known", "proved", "vae.reparameterisation.sample"), \
        record.reason
    assert "variance \\sigma^{2}" in record.reason and "line 1" in record.reason


@pytest.mark.parametrize("statement, written", [(r"z = \mu + \sigma^2 \epsilon", 4),
                                                (r"z = \mu + \sqrt{\sigma}\epsilon", 1)])
def test_a_wrong_vae_sample_is_flagged_with_the_variances_at_a_point(tmp_path, statement, written):
    record = sample_record(tmp_path, VAE, statement)
    assert (record.verdict, record.claim) == ("disagrees", "vae.reparameterisation.sample"), record.reason
    assert record.correct.replace(" ", "") == r"\mu+\sigma\epsilon"
    # the counterexample recomputed: sigma^written as written against sigma^2 declared
    point = dict(part.split(" = ") for part in record.evidence[3:record.evidence.index(":")].split(", "))
    sigma = _number(point[r"\sigma"])
    assert f"= {sigma ** written:.6g}, declared" in record.evidence
    assert record.evidence.endswith(f"= {sigma ** 2:.6g}")


def test_mean_and_scale_swapped_is_flagged_on_the_mean(tmp_path):
    record = sample_record(tmp_path, VAE, r"z = \sigma + \mu \epsilon")
    assert record.verdict == "disagrees" and "mean differs" in record.reason


@settings(max_examples=15, deadline=None)
@given(power=st.sampled_from([1, 3, 4]), sign=st.sampled_from(["+", "-"]))
def test_a_scale_raised_to_another_power_is_flagged_and_sign_never_is(tmp_path_factory, power, sign):
    tmp_path = tmp_path_factory.mktemp("p")
    scale = r"\sigma" + ("" if power == 1 else f"^{power}")
    record = sample_record(tmp_path, VAE, rf"z = \mu {sign} {scale}\epsilon")
    assert record.verdict == ("proved" if power == 1 else "disagrees"), record.reason


def test_vitutorial_notation_with_a_normal_written_with_its_variable(tmp_path):
    """M3a:428 writes \\mu(\\phi,\\lambda) + \\sigma(\\phi, \\lambda) \\odot \\epsilon, \\NDist from vimacros.sty."""
    macros = "\\newcommand{\\NDist}[2]{\\mathcal{N}\\left(#1,#2\\right)}\n\\DeclareMathOperator{\\IMatrix}{I}\n"
    text = (macros + r"Let $q(z|x, \lambda) = \NDist{z|\mu(\phi,\lambda)}{\sigma(\phi,\lambda)^2}$ and "
            r"$\epsilon \sim \NDist{0}{\IMatrix}$." "\n\\begin{equation*}\nz = \\mu(\\phi,\\lambda) + "
            "\\sigma(\\phi, \\lambda) \\odot \\epsilon\n\\end{equation*}\n")
    path = tmp_path / "notes.tex"
    path.write_text(text, encoding="utf-8")
    (record,) = [r for r in scan_file(path, workers=0, sources=False) if r.kind == "known"]
    assert record.verdict == "proved" and r"\mu(\phi, \lambda)" in record.reason


def test_a_diffusion_sample_is_proved_and_its_slips_flagged(tmp_path):
    record = sample_record(tmp_path, DIFFUSION, r"x_t = \sqrt{\bar\alpha_t} x_0 + \sqrt{1-\bar\alpha_t}\epsilon")
    assert record.verdict == "proved" and record.claim.startswith("ddpm.marginal")
    record = sample_record(tmp_path, DIFFUSION, r"x_t = \sqrt{\bar\alpha_t} x_0 + (1-\bar\alpha_t)\epsilon")
    assert (record.verdict, record.claim) == ("disagrees", "ddpm.marginal.variance"), record.reason
    assert record.correct.replace(" ", "") == r"\sqrt{\bar{\alpha}_{t}}x_{0}+\sqrt{1-\bar{\alpha}_{t}}\epsilon"
    record = sample_record(tmp_path, DIFFUSION, r"x_t = \sqrt{1-\beta_t}x_{t-1} + \sqrt{\beta_t}\epsilon")
    assert record.verdict == "proved", record.reason
    record = sample_record(tmp_path, DIFFUSION, r"x_t = \sqrt{1-\beta_t}x_{t-1} + \beta_t\epsilon")
    assert record.verdict == "disagrees" and "\\sqrt{\\beta_{t}}" in record.correct


def test_a_declared_one_step_kernel_is_the_target(tmp_path):
    preamble = (r"The forward kernel is $q(x_t|x_{t-1}) = \mathcal{N}(x_t; \sqrt{1-\beta_t}x_{t-1}, \beta_t I)$, "
                r"$\epsilon \sim \mathcal N(0, I)$." "\n\n")
    assert sample_record(tmp_path, preamble, r"x_t = \sqrt{1-\beta_t}x_{t-1} + \sqrt{\beta_t}\epsilon").verdict == \
        "proved"
    assert sample_record(tmp_path, preamble, r"x_t = \sqrt{1-\beta_t}x_{t-1} + \beta_t\epsilon").verdict == "disagrees"


# --- look-alikes that stay unchecked -------------------------------------------------------------

def test_a_bare_second_argument_is_never_proved(tmp_path):
    """N(m, s): s may be a standard deviation (002 L171 writes z ~ N(mu, sigma)): a match under one reading only."""
    preamble = r"Here $u \sim \mathcal N(m, s)$ and $\epsilon \sim \mathcal N(0, 1)$." "\n\n"
    record = sample_record(tmp_path, preamble, r"u = m + s\epsilon")
    assert record.verdict == "unchecked" and "standard deviation" in record.reason
    assert sample_record(tmp_path, preamble, r"u = m + \sqrt{s}\epsilon").verdict == "unchecked"
    # wrong under both readings (variance s^4 against s and s^2): flagged
    assert sample_record(tmp_path, preamble, r"u = m + s^2\epsilon").verdict == "disagrees"


@pytest.mark.parametrize("preamble, statement", [
    (r"Let $\epsilon \sim \mathcal N(0, I)$." "\n\n", r"w = a + b\epsilon"),  # no law declared for w
    (r"The prior is $z \sim \mathcal N(0, I)$ and $\epsilon \sim \mathcal N(0, I)$." "\n\n",
     r"z = \mu + \sigma\epsilon"),  # the prior is not the law of mu + sigma eps
    (r"Let $z \sim \mathcal N(\mu, \sigma^2)$." "\n\n", r"z = \mu + \sigma^2\epsilon"),  # noise never declared
    (VAE, r"z = \mu + L\epsilon"),  # a matrix-like coefficient
])
def test_look_alikes_without_a_target_stay_unchecked(tmp_path, preamble, statement):
    record = sample_record(tmp_path, preamble, statement)
    assert record.verdict == "unchecked", record.reason


def test_a_diag_of_a_bare_scale_is_read_both_ways(tmp_path):
    r"""q = N(\mu, \mathrm{diag}(\sigma)) beside z = \mu + \sigma \odot \epsilon (seed 004 L2569/L2587): diag(\sigma) may
    hold the scales, so the sample is not flagged; \sigma^2 \odot \epsilon is wrong under both readings."""
    preamble = (r"The encoder is $q_\phi(z|x) = \mathcal N(\mu, \mathrm{diag}(\sigma))$ and "
                r"$\epsilon \sim \mathcal N(0, I)$." "\n\n")
    assert sample_record(tmp_path, preamble, r"z = \mu + \sigma \odot \epsilon").verdict == "unchecked"
    assert sample_record(tmp_path, preamble, r"z = \mu + \sigma^2 \odot \epsilon").verdict == "disagrees"
