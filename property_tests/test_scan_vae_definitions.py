r"""The ELBO and the KL divergence defined in a VAE lecture's notation (derivspec/scan/conventions.py, issue 25
point 3): densities with parameter subscripts (``q_\phi``, ``p_\theta``, ``q_\lambda``, ``p_\psi``) and bold
variables (``\mathbf{z}``), the model written as a likelihood and a prior (``p_\theta(x | z)``, ``p(z)``), an
expectation under the bare letter (``\mathbb E_q``). A correct definition is proved with its reading in the reason;
a wrong one (``+ KL``, the ratio inverted) is flagged with the standard form in the lecture's symbols and a
counterexample, recomputed here from the record's instance; look-alikes (the negative ELBO as a loss, a letter
both bold and plain) are not flagged. Every document is written for the test (the notation of the development
document vitutorial/VITutorial, and of the probe /work/tmp/probe/vae.md).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pytest

from derivspec.scan.runner import scan_path


def _record(tmp_path, lead: str, tex: str):
    path = tmp_path / "doc.md"
    path.write_text(f"# Notes\n\n{lead}\n\n$$\n{tex}\n$$\n\nMore text.\n", encoding="utf-8")
    (record,) = [r for r in scan_path(path, workers=0, known=False, sources=False) if r.lines[0] == 6]
    return record


def _tables(evidence: str) -> tuple:
    """({model: {(x, z): probability}}, {variable: value}, left, right) of the record's first instance."""
    first = evidence.split(" | ")[0]
    tables: dict = {}
    for model, cell, value in re.findall(r"([A-Za-z\\_{}]+)\(([^()]*)\)=(\d+/\d+|\d+)", first):
        key = tuple(sorted((a.strip(), int(b)) for a, b in (c.split("=") for c in cell.split(","))))
        tables.setdefault(model.strip(), {})[key] = Fraction(value)
    at = dict((a, int(b)) for a, b in re.findall(r"(\w)=(\d+)", first.split(" at ")[-1].split(":")[0])) \
        if " at " in first else {}
    left, right = (float(v) for v in re.search(r"left = (\S+), right = (\S+)$", first).groups())
    return tables, at, left, right


def _marginal(table: dict, **fixed) -> Fraction:
    return sum((p for key, p in table.items() if all(dict(key)[k] == v for k, v in fixed.items())), Fraction(0))


VAE_RIGHT = [
    ("The evidence lower bound is",
     r"\mathcal{L}(\theta, \phi; \mathbf{x}) = \mathbb{E}_{q_\phi(\mathbf{z} \mid \mathbf{x})}"
     r"[\log p_\theta(\mathbf{x} \mid \mathbf{z})] - D_{KL}(q_\phi(\mathbf{z} \mid \mathbf{x}) \| p(\mathbf{z}))",
     "q_\\phi", "p_\\theta", "p"),
    ("The ELBO of the model reads",
     r"\mathrm{ELBO}(\lambda) = \mathbb{E}_{q_\lambda(z \mid x)}[\log p_\psi(x \mid z)] "
     r"- \mathrm{KL}(q_\lambda(z \mid x) \| p(z))", "q_\\lambda", "p_\\psi", "p"),
    ("The variational lower bound is",
     r"\mathcal{L}_{\theta,\phi}(\mathbf x) = \mathbb{E}_{q_\phi}\left[\log p_\theta(\mathbf x \mid \mathbf z)\right] "
     r"- \mathrm{KL}(q_\phi(\mathbf z \mid \mathbf x) \| p(\mathbf z))", "q_\\phi", "p_\\theta", "p"),
    ("The evidence lower bound is",
     r"\mathcal L(q) = \mathbb E_{q(\boldsymbol z | \boldsymbol x)}[\log p(\boldsymbol x, \boldsymbol z)"
     r" - \log q(\boldsymbol z | \boldsymbol x)]", "q", "p", "p"),
]


@pytest.mark.parametrize("lead,tex,q,likelihood,prior", VAE_RIGHT)
def test_the_elbo_in_vae_notation_is_proved_with_its_reading(tmp_path, lead, tex, q, likelihood, prior):
    record = _record(tmp_path, lead, tex)
    assert record.verdict == "proved", record.reason
    assert "agrees with the standard definition of the ELBO" in record.reason
    assert f"reading {q}(" in record.reason and "as the model p(x, z)" in record.reason


def _plus_kl(tex: str) -> str:
    head, _, tail = tex.rpartition("- ")
    return head + "+ " + tail


@pytest.mark.parametrize("lead,tex,q,likelihood,prior", VAE_RIGHT[:3])
def test_the_elbo_with_the_kl_added_is_flagged_with_a_counterexample(tmp_path, lead, tex, q, likelihood, prior):
    record = _record(tmp_path, lead, _plus_kl(tex))
    assert record.verdict == "disagrees", record.reason
    assert "defines the ELBO differently from the standard definition" in record.reason
    # the correct form in the lecture's own letters, fonts and shape
    assert record.correct.startswith(tex.split(" = ")[0].strip() + " = ")
    assert f"\\log {likelihood}(" in record.correct and f"\\| {prior}(" in record.correct and "] - " in record.correct
    assert ("\\mathbf" in record.correct) == ("\\mathbf" in tex)
    # the counterexample, recomputed: at the instance's x, ELBO = E_q[log p_lik(x | z)] - KL(q(z | x) || p(z))
    tables, at, left, right = _tables(record.evidence)
    x = at["x"]
    qt, lt, pt = tables[q], tables[likelihood], tables[prior]
    zs = sorted({dict(k)["z"] for k in qt})
    qz = {z: _marginal(qt, x=x, z=z) / _marginal(qt, x=x) for z in zs}
    lik = {z: _marginal(lt, x=x, z=z) / _marginal(lt, z=z) for z in zs}
    pz = {z: _marginal(pt, z=z) for z in zs}
    expected = sum(float(qz[z]) * math.log(lik[z]) for z in zs)
    kl = sum(float(qz[z]) * math.log(qz[z] / pz[z]) for z in zs)
    assert left == pytest.approx(expected - kl, rel=1e-6)
    assert right == pytest.approx(expected + kl, rel=1e-6)
    assert abs(left - right) > 1e-3


KL_NOTATIONS = [
    ("The KL divergence is", r"D_{KL}(q \| p) = \mathbb{E}_{q}\left[\log \frac{q(\mathbf{z})}{p(\mathbf{z})}\right]",
     "q", "p"),
    ("The Kullback-Leibler divergence is",
     r"\mathrm{KL}(q_\lambda \| p_\psi) = \mathbb{E}_{q_\lambda}[\log q_\lambda(w) - \log p_\psi(w)]",
     "q_\\lambda", "p_\\psi"),
]


def _inverted(tex: str, a: str, b: str) -> str:
    if "\\frac" in tex:
        return tex.replace(rf"\frac{{{a}(", "\\frac{⟨B⟩(").replace(rf"}}{{{b}(", "}{⟨A⟩(") \
            .replace("⟨B⟩", b).replace("⟨A⟩", a)
    return tex.replace(rf"\log {a}(", "\\log ⟨B⟩(").replace(rf"- \log {b}(", "- \\log ⟨A⟩(") \
        .replace("⟨B⟩", b).replace("⟨A⟩", a)


@pytest.mark.parametrize("lead,tex,a,b", KL_NOTATIONS)
def test_the_kl_definition_is_proved(tmp_path, lead, tex, a, b):
    record = _record(tmp_path, lead, tex)
    assert record.verdict == "proved", record.reason


@pytest.mark.parametrize("lead,tex,a,b", KL_NOTATIONS)
def test_the_kl_with_the_ratio_inverted_is_flagged_with_two_distributions(tmp_path, lead, tex, a, b):
    wrong = _inverted(tex, a, b)
    assert wrong != tex
    record = _record(tmp_path, lead, wrong)
    assert record.verdict == "disagrees", record.reason
    assert "defines the KL divergence differently" in record.reason
    assert record.correct.startswith(tex.split(" = ")[0]) and f"\\log {a}(" in record.correct
    tables, _, left, right = _tables(record.evidence)
    ta, tb = tables[a], tables[b]
    kl = sum(float(ta[k]) * math.log(ta[k] / tb[k]) for k in ta)
    assert kl > 1e-3
    assert left == pytest.approx(kl, rel=1e-6) and right == pytest.approx(-kl, rel=1e-6)


def test_the_inverted_ratio_is_minus_the_kl_of_two_bernoullis():
    """The brief's own example: Bernoulli(1/2) against Bernoulli(1/4), KL > 0 and the inverted ratio gives -KL."""
    q, p = (Fraction(1, 2), Fraction(1, 2)), (Fraction(3, 4), Fraction(1, 4))
    kl = sum(float(a) * math.log(a / b) for a, b in zip(q, p))
    inverted = sum(float(a) * math.log(b / a) for a, b in zip(q, p))
    assert kl > 0 and inverted == pytest.approx(-kl)


LOOK_ALIKES = [
    # the loss is the negative ELBO: \mathcal L is that loss, not the bound
    ("We define the loss as the negative ELBO (the evidence lower bound with its sign changed):",
     r"\mathcal{L}(\theta, \phi; \mathbf{x}) = -\mathbb{E}_{q_\phi(\mathbf{z} \mid \mathbf{x})}"
     r"[\log p_\theta(\mathbf{x} \mid \mathbf{z})] + D_{KL}(q_\phi(\mathbf{z} \mid \mathbf{x}) \| p(\mathbf{z}))"),
    ("We define the loss as the negative ELBO:",
     r"-\mathcal{L} = -\mathbb{E}_{q_\lambda(z \mid x)}[\log p_\psi(x \mid z)] + \mathrm{KL}(q_\lambda(z \mid x) "
     r"\| p(z))"),
    # one letter bold and plain: two names, not read as one variable
    ("The evidence lower bound is",
     r"\mathcal{L}(\mathbf{x}) = \mathbb{E}_{q(\mathbf{z} \mid x)}[\log p(\mathbf{x} \mid \mathbf{z})] "
     r"+ \mathrm{KL}(q(\mathbf{z} \mid x) \| p(\mathbf{z}))"),
]


@pytest.mark.parametrize("lead,tex", LOOK_ALIKES)
def test_a_look_alike_is_not_flagged(tmp_path, lead, tex):
    record = _record(tmp_path, lead, tex)
    assert record.verdict != "disagrees", record.reason
