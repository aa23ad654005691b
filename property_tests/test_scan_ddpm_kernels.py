r"""The DDPM one-step forward kernel (derivspec/scan/ddpm_kernel.py) and the posterior mean written with the noise
(derivspec/scan/ddpm_noise_mean.py), read by structure in any letters (issue 25).

Every document is written for the test (the bold x / \boldsymbol\epsilon_t layout follows the probe
/work/tmp/probe/ddpm.md, our own text). Counterexamples are recomputed here, not copied.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings, strategies as st

from derivspec.scan.runner import scan_path

PREAMBLE = ("# Diffusion notes\n\nThe forward process of the diffusion model adds noise with a variance schedule "
            "$\\beta_t$.\nLet $\\alpha_t = 1 - \\beta_t$ and $\\bar\\alpha_t = \\prod_{s=1}^t \\alpha_s$.\n\n")


def _records(tmp_path, body: str, preamble: str = PREAMBLE, name: str = "doc.md"):
    path = tmp_path / name
    text = preamble + body
    path.write_text(text, encoding="utf-8")
    line = text.count("\n", 0, text.index("$$\n")) + 2 if "$$\n" in text else 1
    return [r for r in scan_path(path, workers=0, sources=False) if r.lines[0] == line]


def _one(tmp_path, tex: str, lead: str = "The forward kernel is", preamble: str = PREAMBLE):
    records = _records(tmp_path, f"{lead}\n\n$$\n{tex}\n$$\n\nMore text.\n", preamble)
    assert len(records) == 1, records
    return records[0]


def _bare(tex: str) -> str:
    """LaTeX without spaces and braces: \\mathbf{x}_{t} and \\mathbf x_t alike."""
    return "".join(c for c in tex if c not in " {}")


# --- the one-step kernel ------------------------------------------------------------------------

X = st.sampled_from([("x", "x"), (r"\mathbf x", r"\mathbf x"), ("z", "z"), (r"\mathbf{z}", r"\mathbf{z}")])


@settings(max_examples=8, deadline=None)
@given(X, st.booleans(), st.booleans())
def test_the_standard_kernel_is_proved_in_any_letter(tmp_path_factory, letter, alpha, dummy):
    x, _ = letter
    mean, variance = (r"\sqrt{\alpha_t}", r"(1 - \alpha_t)") if alpha else (r"\sqrt{1 - \beta_t}", r"\beta_t")
    inside = f"{x}_t; " if dummy else ""
    tex = rf"q({x}_t \mid {x}_{{t-1}}) = \mathcal N({inside}{mean} {x}_{{t-1}}, {variance} \mathbf I)"
    record = _one(tmp_path_factory.mktemp("k"), tex)
    assert record.verdict == "proved", record.reason
    assert "standard definition of the DDPM forward kernel" in record.reason
    assert "reading" in record.reason and "ddpm.marginal.variance" in record.reason


WRONG_KERNELS = [  # (mean coefficient, variance) in beta_t; then the alpha_t forms
    (r"\sqrt{\beta_t}", r"\beta_t", lambda b: b + b),
    (r"\sqrt{1 - \beta_t}", r"\beta_t^2", lambda b: (1 - b) + b**2),
    (r"(1 - \beta_t)", r"\beta_t", lambda b: (1 - b) ** 2 + b),
]


@pytest.mark.parametrize("mean,variance,written", WRONG_KERNELS)
@pytest.mark.parametrize("x", ["x", r"\mathbf x", "z"])
def test_a_wrong_kernel_is_flagged_with_the_standard_form_and_a_recomputed_counterexample(tmp_path, mean, variance,
                                                                                          written, x):
    tex = rf"q({x}_t \mid {x}_{{t-1}}) = \mathcal N({x}_t; {mean} {x}_{{t-1}}, {variance} \mathbf I)"
    record = _one(tmp_path, tex)
    assert record.verdict == "disagrees", record.reason
    assert "variance-preserving" in record.reason and "Ho et al." in record.reason  # the convention departed from
    assert _bare(rf"\sqrt{{1 - \beta_t}} {x}_{{t-1}}, \beta_t \mathbf I") in _bare(record.correct)  # the lecture's letters
    # the counterexample: a beta_t, Var[x_t] with Var[x_{t-1}] = 1 under both
    beta = Fraction(record.evidence.split(r"\beta_t = ")[1].split(" ")[0])
    assert f"= 1 under the standard kernel, {sympy.nsimplify(written(sympy.Rational(beta)))} as written" \
        in record.evidence
    assert sympy.nsimplify(written(sympy.Rational(beta))) != 1


def test_a_wrong_kernel_in_alpha_is_flagged_in_alpha(tmp_path):
    record = _one(tmp_path, r"q(z_t | z_{t-1}) = \mathcal N(\alpha_t z_{t-1}, (1 - \alpha_t) I)")
    assert record.verdict == "disagrees", record.reason
    assert _bare(r"\sqrt{\alpha_t} z_{t-1}, (1 - \alpha_t) \mathbf I") in _bare(record.correct)
    alpha = Fraction(record.evidence.split(r"\alpha_t = ")[1].split(" ")[0])
    assert f"{sympy.nsimplify(sympy.Rational(alpha) ** 2 + 1 - sympy.Rational(alpha))} as written" in record.evidence


LOOK_ALIKE_KERNELS = [
    # variance exploding: no decay, a noise scale sigma_t
    (PREAMBLE, r"q(x_t \mid x_{t-1}) = \mathcal N(x_t; x_{t-1}, \sigma_t^2 \mathbf I)"),
    (PREAMBLE, r"q(x_t \mid x_{t-1}) = \mathcal N(x_t; x_{t-1}, \beta_t \mathbf I)"),
    (PREAMBLE, r"q(x_t \mid x_{t-1}) = \mathcal N(x_t; \sqrt{1 - \sigma_t} x_{t-1}, \sigma_t^2 \mathbf I)"),
    # a document that declares the variance-exploding (SMLD) convention
    ("# Score models\n\nWe use the variance exploding (VE) diffusion of SMLD with rates $\\beta_t$.\n\n",
     r"q(x_t \mid x_{t-1}) = \mathcal N(x_t; \sqrt{\beta_t} x_{t-1}, \beta_t \mathbf I)"),
    # variance-preserving with beta_t a standard deviation: another parameterisation
    (PREAMBLE, r"q(x_t \mid x_{t-1}) = \mathcal N(x_t; \sqrt{1 - \beta_t^2} x_{t-1}, \beta_t^2 \mathbf I)"),
    # DDIM's alpha_t is the cumulative product
    ("# DDIM\n\nThe diffusion forward process has $\\alpha_t = \\prod_{s=1}^t (1 - \\beta_s)$.\n\n",
     r"q(x_t \mid x_{t-1}) = \mathcal N(x_t; \alpha_t x_{t-1}, (1 - \alpha_t) \mathbf I)"),
    # a Markov chain that is not a diffusion: no forward process in the document
    ("# Kalman filter\n\nThe state evolves linearly.\n\n", r"p(x_t \mid x_{t-1}) = \mathcal N(x_t; a x_{t-1}, q)"),
]


@pytest.mark.parametrize("preamble,tex", LOOK_ALIKE_KERNELS)
def test_a_kernel_in_another_convention_is_not_flagged(tmp_path, preamble, tex):
    record = _one(tmp_path, tex, preamble=preamble)
    assert record.verdict != "disagrees", record.reason


def test_an_announced_convention_is_not_flagged(tmp_path):
    tex = r"q(x_t \mid x_{t-1}) = \mathcal N(x_t; \sqrt{1 - \beta_t} x_{t-1}, \beta_t^2 \mathbf I)"
    record = _one(tmp_path, tex, lead="Note that here we use another convention. The forward kernel is")
    assert record.verdict == "unchecked"
    assert "another convention, which the text announces" in record.reason


# --- the posterior mean with the noise ----------------------------------------------------------

def _mean_eps(x_t, noise, alpha_t, alpha_bar_prev, sign=-1, beta=None, root=True):
    """(x_t - beta_t/sqrt(1 - bar alpha_t) eps)/sqrt(alpha_t), mutated as the planted errors are."""
    a, ab = sympy.Rational(alpha_t), sympy.Rational(alpha_t) * sympy.Rational(alpha_bar_prev)
    b = 1 - a if beta is None else beta(a)
    scale = sympy.sqrt(1 - ab) if root else 1 - ab
    return (x_t + sign * b / scale * noise) / sympy.sqrt(a)


RIGHT_MEANS = [
    (r"\tilde{\boldsymbol\mu}_t", r"\frac{1}{\sqrt{\alpha_t}}\Big(\mathbf{x}_t - \frac{1-\alpha_t}{\sqrt{1-\bar\alpha_t}}"
                                  r"\boldsymbol\epsilon_t\Big)", r"\boldsymbol{\epsilon}_{t}"),
    (r"\mu_q(z_t, z_0)", r"\frac{1}{\sqrt{\alpha_t}}\left(z_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\varepsilon\right)",
     r"\varepsilon"),
    (r"\tilde\mu(x_t, t)", r"\frac{1}{\sqrt{\alpha_t}}\left(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}"
                           r"\epsilon_\theta(x_t, t)\right)", r"\epsilon_{\theta}(x_{t}, t)"),
    (r"\tilde\mu_t(\mathbf x_t, \mathbf x_0)", r"\frac{\mathbf x_t}{\sqrt{\alpha_t}} - \frac{1 - \alpha_t}"
                                             r"{\sqrt{\alpha_t}\sqrt{1 - \bar\alpha_t}}\boldsymbol\epsilon", None),
]


@pytest.mark.parametrize("left,right,noise", RIGHT_MEANS)
def test_the_posterior_mean_with_the_noise_is_proved_in_any_notation(tmp_path, left, right, noise):
    record = _one(tmp_path, f"{left} = {right}", lead="Substituting the noise:")
    assert record.verdict == "proved", record.reason
    assert record.claim == "ddpm.posterior.mean-eps"
    if noise:
        assert f"reading {noise} as \\epsilon" in record.reason


PLANTED = [  # (the lecture's coefficient of the noise, the same mutation on numbers)
    (r"\frac{\alpha_t}{\sqrt{1-\bar\alpha_t}}", dict(beta=lambda a: a)),
    (r"\frac{1-\alpha_t}{1-\bar\alpha_t}", dict(root=False)),
]


@pytest.mark.parametrize("x,noise", [(r"\mathbf{x}", r"\boldsymbol\epsilon_t"), ("z", r"\epsilon")])
@pytest.mark.parametrize("coefficient,mutation", PLANTED + [(None, dict(sign=1))])
def test_a_wrong_posterior_mean_is_flagged_with_a_recomputed_counterexample(tmp_path, x, noise, coefficient,
                                                                            mutation):
    sign = "+" if coefficient is None else "-"
    coefficient = coefficient or r"\frac{1-\alpha_t}{\sqrt{1-\bar\alpha_t}}"
    tex = rf"\tilde\mu_t = \frac{{1}}{{\sqrt{{\alpha_t}}}}\Big({x}_t {sign} {coefficient}{noise}\Big)"
    record = _one(tmp_path, tex, lead="Substituting the noise:")
    assert record.verdict == "disagrees", record.reason
    assert record.claim == "ddpm.posterior.mean-eps"
    assert r"\sqrt{\alpha_t}" in record.correct and "1 - \\alpha_t" in record.correct  # the lecture's letters
    point = dict(part.split("=") for part in record.evidence.split(":")[0][3:].split(", "))
    values = {k.strip(): sympy.Rational(v) for k, v in point.items()}
    x_t = next(v for k, v in values.items() if k.endswith("_{t}") and "epsilon" not in k and "alpha" not in k)
    eps = next(v for k, v in values.items() if "epsilon" in k)
    alpha_t, alpha_bar_prev = values[r"\alpha_{t}"], values[r"\bar\alpha_{t-1}"]
    as_written = _mean_eps(x_t, eps, alpha_t, alpha_bar_prev, **mutation)
    derived = _mean_eps(x_t, eps, alpha_t, alpha_bar_prev)
    assert f"as written {sympy.N(as_written, 12)}" in record.evidence
    assert f"derived {sympy.N(derived, 12)}" in record.evidence


LOOK_ALIKE_MEANS = [
    # DDIM's alpha_t is the cumulative product: not read in the one-step alpha_t
    ("# DDIM\n\nThe diffusion forward process has $\\alpha_t = \\prod_{s=1}^t (1 - \\beta_s)$.\n\n",
     r"\tilde\mu_t = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\alpha_t}{\sqrt{1-\alpha_t}}\epsilon\Big)"),
    # a name the claim does not have
    (PREAMBLE, r"\tilde\mu_t = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\gamma_t}{\sqrt{1-\bar\alpha_t}}\epsilon\Big)"),
    # two noises
    (PREAMBLE, r"\tilde\mu_t = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\epsilon_1"
               r" + \epsilon_2\Big)"),
]


@pytest.mark.parametrize("preamble,tex", LOOK_ALIKE_MEANS)
def test_a_posterior_mean_look_alike_is_not_flagged(tmp_path, preamble, tex):
    record = _one(tmp_path, tex, preamble=preamble, lead="Then")
    assert record.verdict != "disagrees", record.reason
