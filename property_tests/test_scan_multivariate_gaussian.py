r"""The multivariate Gaussian KL and the Gaussian log-density at a symbolic dimension (issue 25, general sizes;
derivspec/scan/multivariate_gaussian.py). The documents are written for these tests
(benchmarks/scan_known_quantities/h75_multivariate.md holds the same notations in prose). Counterexamples are
recomputed here with independent implementations: torch.distributions for the KL at d >= 2, numerical integration
at d = 1, scipy.stats for the log-density."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import scipy.integrate
import scipy.stats

from scanning import scan_text

torch = pytest.importorskip("torch")

# (preamble, KL head, mean 1, cov 1, mean 2, cov 2, dimension, right-side template with A S B T K and a log ratio)
NOTATIONS = [
    (r"Take two Gaussians in $k$ dimensions, $p_1 = \mathcal{N}(\mu_1, \Sigma_1)$ and "
     r"$p_2 = \mathcal{N}(\mu_2, \Sigma_2)$." "\n\n", r"\mathrm{KL}(p_1 \| p_2)",
     r"\mu_1", r"\Sigma_1", r"\mu_2", r"\Sigma_2", "k"),
    ("Two laws written in the divergence itself.\n\n<!-- derivspec: D: scalar -->\n\n",  # D the dimension: declared
     r"D_{KL}(\mathcal N(m_q, S_q) \,\|\, \mathcal N(m_p, S_p))", "m_q", "S_q", "m_p", "S_p", "D"),
]
RIGHT = r"\frac{1}{2}\left[\mathrm{tr}(T^{-1}S) + (B - A)^\top T^{-1}(B - A) - K + \ln\frac{|T|}{|S|}\right]"
RIGHT_DET = r"\frac12\left(\operatorname{tr}(T^{-1} S) + (A - B)^@ T^{-1} (A - B) - K + \log\det T - \log\det S\right)"


def kl(m1, S1, m2, S2) -> float:
    """KL(N(m1, S1) || N(m2, S2)) by an independent implementation."""
    if len(m1) == 1:  # d = 1: the integral of p log(p/q)
        p = scipy.stats.norm(m1[0], math.sqrt(S1[0][0]))
        q = scipy.stats.norm(m2[0], math.sqrt(S2[0][0]))
        return scipy.integrate.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), -np.inf, np.inf)[0]
    p = torch.distributions.MultivariateNormal(torch.tensor(m1, dtype=torch.float64),
                                               torch.tensor(S1, dtype=torch.float64))
    q = torch.distributions.MultivariateNormal(torch.tensor(m2, dtype=torch.float64),
                                               torch.tensor(S2, dtype=torch.float64))
    return float(torch.distributions.kl_divergence(p, q))


WRONG = {  # planted error -> (template, its value at (m1, S1, m2, S2, d))
    "trace of the wrong product": (
        r"\frac{1}{2}\left[\mathrm{tr}(S^{-1}T) + (B - A)^\top T^{-1}(B - A) - K + \ln\frac{|T|}{|S|}\right]",
        lambda m1, S1, m2, S2, d: 0.5 * (np.trace(np.linalg.solve(S1, S2)) + maha(m1, m2, S2) - d
                                         + math.log(np.linalg.det(S2) / np.linalg.det(S1)))),
    "dropped -k": (
        r"\frac{1}{2}\left[\mathrm{tr}(T^{-1}S) + (B - A)^\top T^{-1}(B - A) + \ln\frac{|T|}{|S|}\right]",
        lambda m1, S1, m2, S2, d: kl(m1, S1, m2, S2) + d / 2),
    "determinants upside down": (
        r"\frac{1}{2}\left[\mathrm{tr}(T^{-1}S) + (B - A)^\top T^{-1}(B - A) - K + \ln\frac{|S|}{|T|}\right]",
        lambda m1, S1, m2, S2, d: kl(m1, S1, m2, S2) - math.log(np.linalg.det(S2) / np.linalg.det(S1))),
    "missing 1/2": (
        r"\mathrm{tr}(T^{-1}S) + (B - A)^\top T^{-1}(B - A) - K + \ln\frac{|T|}{|S|}",
        lambda m1, S1, m2, S2, d: 2 * kl(m1, S1, m2, S2)),
}


def maha(m1, m2, S) -> float:
    diff = np.array(m2, dtype=float) - np.array(m1, dtype=float)
    return float(diff @ np.linalg.solve(np.array(S, dtype=float), diff))


def fill(template: str, notation) -> str:
    table = dict(zip("ASBTK", notation[2:]))
    return re.sub(r"(?<![\\A-Za-z])[ASBTK](?![A-Za-z])", lambda m: table[m.group(0)], template).replace("^@", "^T")


def same(text: str) -> str:
    return text.replace(" ", "").replace(r"^{\top}", "^T")


def record(tmp_path, preamble: str, statement: str):
    found = [r for r in scan_text(tmp_path, preamble + "$$" + statement + "$$\n")
             if same(r.text) == same(statement)]
    assert len(found) == 1, [(r.text, r.verdict) for r in found]
    return found[0]


def matrices(reason: str) -> dict:
    """name -> nested list of the instance the reason shows (1x1 values shown as numbers)."""
    out = {}
    at = reason.split(" at ", 1)[1].split(" the statement gives")[0]
    for m in re.finditer(r"(\\?[A-Za-z]+(?:_\{?[A-Za-z0-9]+\}?)?) = (\\left\[\\begin\{matrix\}(.*?)\\end\{matrix\}"
                         r"\\right\]|-?\d+(?:/\d+)?)", at):
        if m.group(3) is not None:
            out[m.group(1)] = [[float(x) for x in row.split("&")] for row in m.group(3).split(r"\\")]
        else:
            out[m.group(1)] = [[float(eval(m.group(2)))]]  # a 1x1 value
    return out


def gives(reason: str) -> tuple[float, float]:
    m = re.search(r"the statement gives ([-+0-9.eE]+) and (?:the KL|log N) is ([-+0-9.eE]+)", reason)
    return float(m.group(1)), float(m.group(2))


@pytest.mark.parametrize("notation", NOTATIONS, ids=["declared laws, |.|", "written laws"])
@pytest.mark.parametrize("template", [RIGHT, RIGHT_DET], ids=["ln ratio", "log det"])
def test_kl_in_each_notation_is_proved_with_its_mapping(tmp_path, notation, template):
    preamble, head, a, s, b, t, k = notation
    found = record(tmp_path, preamble, head + " = " + fill(template, notation))
    assert found.verdict == "proved", found.reason
    assert found.claim == "kl.gaussian.multivariate"
    assert "proved at d = 2" in found.reason and "d = 1..5 on random instances" in found.reason
    assert rf"first law \mathcal N({a}, {s}), second \mathcal N({b}, {t}), dimension {k}" in found.reason


@pytest.mark.parametrize("notation", NOTATIONS, ids=["declared laws", "written laws"])
@pytest.mark.parametrize("error", sorted(WRONG))
def test_planted_kl_errors_are_flagged_with_a_recomputed_counterexample(tmp_path, notation, error):
    preamble, head, a, s, b, t, k = notation
    template, value = WRONG[error]
    found = record(tmp_path, preamble, head + " = " + fill(template, notation))
    assert found.verdict == "disagrees" and found.severity == "error", found.reason
    shown = matrices(found.reason)
    m1, S1, m2, S2 = ([row[0] for row in shown[a]], shown[s], [row[0] for row in shown[b]], shown[t])
    d = len(m1)
    as_written, derived = gives(found.reason)
    assert derived == pytest.approx(kl(m1, S1, m2, S2), rel=1e-6, abs=1e-9)
    assert as_written == pytest.approx(value(m1, S1, m2, S2, d), rel=1e-6, abs=1e-9)
    assert fill(r"\mathrm{tr}(T^{-1}S)", notation) in found.correct
    assert f"- {k} +" in found.correct or (error == "dropped -k" and "- d +" in found.correct)
    assert fill(r"\log\frac{|T|}{|S|}", notation) in found.correct


def test_shared_covariance_reduced_form_is_proved_not_flagged(tmp_path):
    statement = (r"\mathrm{KL}(\mathcal N(\mu_a, \Sigma) \| \mathcal N(\mu_b, \Sigma)) = "
                 r"\frac{1}{2}(\mu_b - \mu_a)^\top \Sigma^{-1}(\mu_b - \mu_a)")
    found = record(tmp_path, "Two Gaussians with one covariance.\n\n", statement)
    assert found.verdict == "proved", found.reason


@pytest.mark.parametrize("statement", [
    # a univariate KL (a variance, not a matrix): not this module's
    r"\mathrm{KL}(\mathcal N(\mu_1, \sigma_1^2) \| \mathcal N(\mu_2, \sigma_2^2)) = \log\frac{\sigma_2}{\sigma_1} + "
    r"\frac{\sigma_1^2 + (\mu_1 - \mu_2)^2}{2\sigma_2^2} - \frac12",
    # a name whose role nothing fixes (c): never flagged
    r"\mathrm{KL}(\mathcal N(\mu_1, \Sigma_1) \| \mathcal N(\mu_2, \Sigma_2)) = \frac{1}{2}\left[\mathrm{tr}"
    r"(\Sigma_2^{-1}\Sigma_1) + c\right]",
    # a diagonal form as a sum: not read here
    r"\mathrm{KL}(\mathcal N(\mu_1, \Sigma_1) \| \mathcal N(\mu_2, \Sigma_2)) = \frac{1}{2}\sum_{i=1}^{d}\left("
    r"\frac{s_i}{t_i} - 1\right)",
])
def test_look_alikes_are_not_flagged(tmp_path, statement):
    found = record(tmp_path, "Gaussians.\n\n", statement)
    assert found.verdict != "disagrees", found.reason
    assert not (found.claim == "kl.gaussian.multivariate" and found.verdict == "proved"), found.reason


def test_the_reference_agrees_with_torch_for_d_1_to_5():
    import random

    import sympy

    from derivspec.scan.multivariate_gaussian import _reference_kl, _spd, _vector

    rng = random.Random(3)
    for d in range(1, 6):
        m1, m2, S1, S2 = _vector(d, rng), _vector(d, rng), _spd(d, rng), _spd(d, rng)
        ours = float(sympy.N(_reference_kl(m1, S1, m2, S2)))
        lists = [np.array(x, dtype=float).tolist() for x in (m1, S1, m2, S2)]
        assert ours == pytest.approx(kl([r[0] for r in lists[0]], lists[1], [r[0] for r in lists[2]], lists[3]),
                                     rel=1e-7)


# --- the log-density -------------------------------------------------------------------------------------------

FULL = (r"\log \mathcal N(x; \mu, \Sigma)",
        r"-\frac{d}{2}\log 2\pi - \frac12\log|\Sigma| - \frac12 (x-\mu)^\top\Sigma^{-1}(x-\mu)")
FULL_OTHER = (r"\ln \mathcal{N}(\mathbf y \mid \mathbf m, \mathbf C)",
              r"-\frac{n}{2}\ln(2\pi) - \frac{1}{2}\ln\det \mathbf C - \frac{1}{2}(\mathbf y - \mathbf m)^{T}"
              r"\mathbf C^{-1}(\mathbf y - \mathbf m)")
ISO = (r"\log \mathcal N(x; \mu, \sigma^2 I)", r"-\frac{d}{2}\log(2\pi\sigma^2) - \frac{1}{2\sigma^2}\|x-\mu\|^2")
ISO_OTHER = (r"\log \mathcal{N}(z; m, s^2 \mathbf I)",
             r"-\frac{1}{2 s^2}\lVert z - m \rVert^2 - \frac{k}{2}\log(2\pi s^2)")


@pytest.mark.parametrize("pair", [FULL, ISO, ISO_OTHER], ids=["full", "isotropic", "isotropic, other letters"])
def test_log_density_is_proved(tmp_path, pair):
    found = record(tmp_path, "The density of a Gaussian vector.\n\n", pair[0] + " = " + pair[1])
    assert found.verdict == "proved", found.reason
    assert "proved at" in found.reason and "= 1..5 on random instances" in found.reason


def test_bold_full_covariance_log_density_is_not_flagged(tmp_path):
    text = "The density of a Gaussian vector.\n\n$$" + FULL_OTHER[0] + " = " + FULL_OTHER[1] + "$$\n"
    records = scan_text(tmp_path, text)
    assert records and all(r.verdict != "disagrees" for r in records), [(r.text, r.reason) for r in records]


LOG_WRONG = {  # planted error -> (statement, value at (x, mu, S or s, d))
    "d/2 to 1/2": (FULL[0] + r" = -\frac{1}{2}\log 2\pi - \frac12\log|\Sigma| - \frac12 (x-\mu)^\top\Sigma^{-1}(x-\mu)",
                   lambda x, m, S, d: scipy.stats.multivariate_normal(m, S).logpdf(x)
                   + (d - 1) / 2 * math.log(2 * math.pi)),
    "missing 1/2": (FULL[0] + r" = -\frac{d}{2}\log 2\pi - \frac12\log|\Sigma| - (x-\mu)^\top\Sigma^{-1}(x-\mu)",
                    lambda x, m, S, d: scipy.stats.multivariate_normal(m, S).logpdf(x) - maha(m, x, S) / 2),
    "sigma for sigma^2": (ISO[0] + r" = -\frac{d}{2}\log(2\pi\sigma) - \frac{1}{2\sigma^2}\|x-\mu\|^2",
                          lambda x, m, S, d: scipy.stats.multivariate_normal(m, S).logpdf(x)
                          + d / 4 * math.log(S[0][0])),
    "wrong sign": (ISO[0] + r" = -\frac{d}{2}\log(2\pi\sigma^2) + \frac{1}{2\sigma^2}\|x-\mu\|^2",
                   lambda x, m, S, d: scipy.stats.multivariate_normal(m, S).logpdf(x) + maha(m, x, S)),
}


@pytest.mark.parametrize("error", sorted(LOG_WRONG))
def test_planted_log_density_errors_are_flagged(tmp_path, error):
    statement, value = LOG_WRONG[error]
    found = record(tmp_path, "The density of a Gaussian vector.\n\n<!-- derivspec: I: identity matrix -->\n\n",
                   statement)
    assert found.severity == "error", found.reason
    assert found.verdict == "disagrees", found.reason
    shown = matrices(found.reason)
    x, m = [r[0] for r in shown["x"]], [r[0] for r in shown[r"\mu"]]
    d = len(x)
    S = shown[r"\Sigma"] if r"\Sigma" in shown else (shown[r"\sigma"][0][0] ** 2 * np.eye(d)).tolist()
    as_written, derived = gives(found.reason)
    assert derived == pytest.approx(scipy.stats.multivariate_normal(m, S).logpdf(x), rel=1e-9)
    assert as_written == pytest.approx(value(x, m, S, d), rel=1e-9)
    assert r"\log" in found.correct


def test_an_undeclared_capital_dimension_or_identity_makes_the_flag_a_question(tmp_path):
    """Without the declarations above, D (a dimension) and I (the identity) are guesses of the scope: the same
    planted errors are questions naming the declaration that decides them (issue 88)."""
    template, _ = WRONG["missing 1/2"]
    notation = ("Two laws written in the divergence itself.\n\n", *NOTATIONS[1][1:])
    found = record(tmp_path, notation[0], notation[1] + " = " + fill(template, notation))
    assert (found.verdict, found.severity) == ("disagrees", "question"), found.reason
    assert "`D: scalar`" in found.reason
    statement, _ = LOG_WRONG["wrong sign"]
    found = record(tmp_path, "The density of a Gaussian vector.\n\n", statement)
    assert (found.verdict, found.severity) == ("disagrees", "question"), found.reason
    assert "`I: identity matrix`" in found.reason
