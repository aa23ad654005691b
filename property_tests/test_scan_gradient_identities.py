r"""Gradient identities of VI checked on instances of the lecture's abstract densities
(derivspec/scan/gradient_identities.py).

Statements written here in two notations: VITutorial's ∂/∂λ with q(z|x,λ) and p(x|z,θ)
(M3a_DGMs_ContinuousLatentVariables.tex:385-400, M3b_DGMs_DiscreteLatentVariables.tex:314, :331-334,
M6_ADVI.tex:218-224, :468) and the VAE convention ∇_φ E_{q_φ(z|x)}[f(z)] = E_{p(ε)}[∇_φ f(g_φ(ε))].
Right forms hold on instances, or are proved by the rules of probability (probability.py: the derivative of a density
in a variable or a parameter taken inside a finite sum); planted errors (log missing, sign flipped, wrong density, a baseline
that depends on z, the derivative dropped) are flagged, and the counterexample is recomputed here by quadrature;
Monte Carlo estimates, a function of λ and an unstated noise law stay unchecked.
"""

from __future__ import annotations

import re
from fractions import Fraction

import mpmath
import pytest

from derivspec.scan import scan_file

SCORE, REPARAM = "elbo.gradient.score-function", "elbo.gradient.reparameterisation"
VI = "Let $q(z|x,\\lambda)$ be the inference network and $p(x|z,\\theta)$ the likelihood of the model."
VAE = ("The encoder is $q_\\phi(z|x)$; we sample $\\epsilon \\sim \\mathcal N(0, 1)$ and set $z = g_\\phi(\\epsilon)$; "
       "$f$ is any function of $z$.")
D_LAMBDA = r"\frac{\partial}{\partial \lambda}"
E_Q = r"\mathbb{E}_{q(z|x,\lambda)}"


def record_of(tmp_path, statement: str, prose: str):
    path = tmp_path / "notes.md"
    path.write_text(prose + "\n\n$$" + statement + "$$\n", encoding="utf-8")
    records = scan_file(path, workers=0, sources=False)
    found = [r for r in records if r.claim in (SCORE, REPARAM)] or [r for r in records if "=" in r.text]
    assert found, [r.text for r in records]
    return found[-1]


def holds(record) -> bool:
    """Holds on instances (this module), or proved by the rule that differentiates under the integral sign
    (derivspec/scan/parameter_derivatives.py) where it reads both sides: never flagged."""
    if record.verdict == "proved":  # or by the rules of probability, the derivative taken inside the finite sum
        return "under the integral sign" in record.reason or "proved for every distribution" in record.reason
    return record.verdict == "unchecked" and re.match(r"holds on \d+ instances", record.reason) is not None


RIGHT_VI = [
    D_LAMBDA + E_Q + r"\left[\log p(x|z,\theta)\right] = \int " + D_LAMBDA
    + r" q(z|x,\lambda)\log p(x|z,\theta)\,\mathrm{d}z",
    D_LAMBDA + E_Q + r"\left[\log p(x|z,\theta)\right] = " + E_Q
    + r"\left[\log p(x|z,\theta)" + D_LAMBDA + r"\log q(z|x,\lambda)\right]",
    E_Q + r"\left[" + D_LAMBDA + r"\log q(z|x,\lambda)\right] = 0",
    r"\mathbb{E}_{q(z|\lambda)}\left[" + D_LAMBDA + r"\log q(z|\lambda)\left(\log p(x|z,\theta) - C\right)\right]"
    r" = \mathbb{E}_{q(z|\lambda)}\left[" + D_LAMBDA + r"\log q(z|\lambda)\log p(x|z,\theta)\right]",
    D_LAMBDA + r"\mathbb{E}_{q(z;\lambda)}\left[\log p(x,z)\right] = \mathbb{E}_{\pi(\epsilon)}\left[" + D_LAMBDA
    + r"\log p(x, z = \mathcal{S}^{-1}_\lambda(\epsilon))\right]",
]
RIGHT_VAE = [
    r"\nabla_\phi \mathbb{E}_{q_\phi(z|x)}[f(z)] = \mathbb{E}_{p(\epsilon)}[\nabla_\phi f(g_\phi(\epsilon))]",
    r"\nabla_{\phi} \mathbb{E}_{q_\phi(z|x)}[f(z)] = \mathbb{E}_{q_\phi(z|x)}[f(z) \nabla_{\phi} \log q_\phi(z|x)]",
]


@pytest.mark.parametrize("statement", RIGHT_VI)
def test_vitutorial_forms_hold_on_instances(tmp_path, statement):
    record = record_of(tmp_path, statement, VI)
    assert holds(record), (record.verdict, record.reason)
    if record.verdict != "proved":
        assert record.claim in (SCORE, REPARAM)
        assert "N(z;" in record.reason and "not a proof" in record.reason


@pytest.mark.parametrize("statement", RIGHT_VAE)
def test_vae_forms_hold_on_instances(tmp_path, statement):
    record = record_of(tmp_path, statement, VAE)
    assert holds(record), (record.verdict, record.reason)
    if record.verdict != "proved":
        assert record.claim == (REPARAM if "g_" in statement else SCORE)


# --- planted errors: the counterexample recomputed here ---------------------------------------------------------

def normal(v, mean, sd):
    return mpmath.exp(-(v - mean) ** 2 / (2 * sd ** 2)) / (sd * mpmath.sqrt(2 * mpmath.pi))


def expect(f, mean, sd):
    return mpmath.quad(lambda z: normal(z, mean, sd) * f(z), [-mpmath.inf, 0, mpmath.inf])


def instance(evidence: str):
    """λ (or φ), s, θ, x, C and the test polynomial as the evidence states them (the mean family)."""
    m = re.search(r"= (-?\d+(?:/\d+)?), q\(z\) = N\(z; \\(?:lambda|phi), \((-?\d+(?:/\d+)?)\)²\), p\(x\|z\) = "
                  r"N\(x; (-?\d+(?:/\d+)?) z, 1\), x = (-?\d+(?:/\d+)?), f\(u\) = (.+?), C = (-?\d+(?:/\d+)?):",
                  evidence)
    assert m, evidence
    lam, s, theta, x = (mpmath.mpf(Fraction(v).numerator) / Fraction(v).denominator for v in m.group(1, 2, 3, 4))
    sides = re.search(r"left side (\S+), right side (\S+)$", evidence)
    polynomial = m.group(5).replace("**", "^")
    return lam, s, theta, x, polynomial, float(sides.group(1)), float(sides.group(2))


def log_lik(x, theta):
    return lambda z: -(x - theta * z) ** 2 / 2 - mpmath.log(2 * mpmath.pi) / 2


def d_lambda(g, lam):
    return mpmath.diff(g, lam)


WRONG_VI = {
    "log missing": (D_LAMBDA + E_Q + r"\left[\log p(x|z,\theta)\right] = " + E_Q
                    + r"\left[\log p(x|z,\theta)" + D_LAMBDA + r" q(z|x,\lambda)\right]", "no log"),
    "sign flipped": (D_LAMBDA + E_Q + r"\left[\log p(x|z,\theta)\right] = -" + E_Q
                     + r"\left[\log p(x|z,\theta)" + D_LAMBDA + r"\log q(z|x,\lambda)\right]", "minus"),
    "baseline depends on z": (r"\mathbb{E}_{q(z|\lambda)}\left[" + D_LAMBDA
                              + r"\log q(z|\lambda)\left(\log p(x|z,\theta) - C(z)\right)\right]"
                              + r" = \mathbb{E}_{q(z|\lambda)}\left[" + D_LAMBDA
                              + r"\log q(z|\lambda)\log p(x|z,\theta)\right]", "baseline"),
}


@pytest.mark.parametrize("name", sorted(WRONG_VI))
def test_planted_vitutorial_errors_are_flagged(tmp_path, name):
    statement, kind = WRONG_VI[name]
    record = record_of(tmp_path, statement, VI)
    assert record.verdict == "disagrees", (record.reason, record.evidence)
    assert record.claim == SCORE
    lam, s, theta, x, _, left, right = instance(record.evidence)
    ll = log_lik(x, theta)
    with mpmath.workdps(25):
        true_gradient = d_lambda(lambda m: expect(ll, m, s), lam)
        if kind == "no log":
            expected = (true_gradient, mpmath.quad(lambda z: normal(z, lam, s) * ll(z) * normal(z, lam, s) * (z - lam)
                                                   / s ** 2, [-mpmath.inf, 0, mpmath.inf]))
        elif kind == "minus":
            expected = (true_gradient, -true_gradient)
        else:  # C(z) = z^2 + 1: the left side loses d/dλ E_q[z^2 + 1] = 2λ
            expected = (true_gradient - 2 * lam, true_gradient)
    assert left == pytest.approx(float(expected[0]), rel=1e-9, abs=1e-9)
    assert right == pytest.approx(float(expected[1]), rel=1e-9, abs=1e-9)
    if kind in ("no log", "minus"):
        assert r"\log q(z|x,\lambda)" in record.correct and record.correct.startswith(r"\mathbb{E}_{q(z|x,\lambda)}")


WRONG_VAE = {
    "wrong density": (r"\nabla_\phi \mathbb{E}_{q_\phi(z|x)}[f(z)] = "
                      r"\mathbb{E}_{p(z)}[f(z) \nabla_\phi \log q_\phi(z|x)]"),
    "derivative dropped": r"\nabla_\phi \mathbb{E}_{q_\phi(z|x)}[f(z)] = \mathbb{E}_{p(\epsilon)}[f(g_\phi(\epsilon))]",
}


def polynomial(text: str):
    return lambda u: eval(text.replace("^", "**"), {"u": u})  # the evidence's own test function, u a number


@pytest.mark.parametrize("name", sorted(WRONG_VAE))
def test_planted_vae_errors_are_flagged(tmp_path, name):
    record = record_of(tmp_path, WRONG_VAE[name], VAE)
    assert record.verdict == "disagrees", (record.reason, record.evidence)
    phi, s, _, _, test, left, right = instance(record.evidence)
    f = polynomial(test)
    with mpmath.workdps(25):
        gradient = d_lambda(lambda m: expect(f, m, s), phi)
        if name == "wrong density":  # E_{N(0,1)}[f(z) (z - φ)/s²]
            other = expect(lambda z: f(z) * (z - phi) / s ** 2, 0, 1)
        else:  # E_ε[f(φ + sε)] = E_q[f]
            other = expect(f, phi, s)
    assert left == pytest.approx(float(gradient), rel=1e-9, abs=1e-9)
    assert right == pytest.approx(float(other), rel=1e-9, abs=1e-9)
    assert record.correct == r"\mathbb{E}_{q_\phi(z|x)}\left[f(z)\, \nabla_{\phi} \log q_\phi(z|x)\right]"


# --- look-alikes: unchecked, never flagged -------------------------------------------------------------------

LOOK_ALIKES = [
    (r"\nabla_\phi \mathbb{E}_{q_\phi(z|x)}[f(z)] \approx \frac{1}{S}\sum_{s=1}^S \nabla_\phi f(g_\phi(\epsilon_s))",
     VAE, ""),  # a Monte Carlo estimate (≈): no identity of expectations, not this module's to answer
    (r"\nabla_\phi \mathbb{E}_{q_\phi(z|x)}[f_\phi(z)] = "
     r"\mathbb{E}_{q_\phi(z|x)}[f_\phi(z)\nabla_\phi \log q_\phi(z|x)]",
     VAE, "depends on"),
    (r"\nabla_\phi \mathbb{E}_{q_\phi(z|x)}[f(z)] = \mathbb{E}_{\epsilon}[\nabla_\phi f(g_\phi(\epsilon))]",
     "The encoder is $q_\\phi(z|x)$.", "law is not stated"),
    (D_LAMBDA + r"\mathbb{E}_{\mathcal N(z|\mu, \sigma^2)}\left[g(z)\right] = \mathbb{E}_{\mathcal N(0, I)}\left["
     + D_LAMBDA + r" g(z = \mu + \sigma\epsilon)\right]", "", "not one of its arguments"),
]


@pytest.mark.parametrize("statement, prose, why", LOOK_ALIKES)
def test_look_alikes_stay_unchecked(tmp_path, statement, prose, why):
    path = tmp_path / "notes.md"
    path.write_text(prose + "\n\n$$" + statement + "$$\n", encoding="utf-8")
    records = scan_file(path, workers=0, sources=False)
    assert all(r.verdict != "disagrees" for r in records), [(r.text, r.reason) for r in records]
    assert any(why in r.reason for r in records), [r.reason for r in records]


def test_no_torch_and_no_derivations_import():
    import derivspec.scan.gradient_identities as module

    source = open(module.__file__, encoding="utf-8").read()
    assert "torch" not in source and "derivspec.derivations" not in source
