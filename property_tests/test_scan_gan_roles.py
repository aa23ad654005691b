r"""``scan`` recognises the GAN game's optimum in the lecture's own letters (derivspec/scan/gan_optimum.py, issue 25):
the optimal discriminator (claim gan.discriminator.optimal) with the data and generator densities fixed by their labels
or by what the document declares (its value function, its prose, x = G(z)), and the value at the optimum (claim
gan.value.optimal) by the scale-free invariant constant / JS coefficient = -log 2. Every document is written for the
test, in the notations of GAN notes (Goodfellow's p_data / p_g and C(G); the p_r / p_g and D_{JS} of WGAN-style
notes; p and q under a value function; x = G(z) with capital P and Q). Counterexamples are recomputed here.
"""

from __future__ import annotations

import re

import pytest
import sympy

from derivspec.scan.runner import scan_path

GOODFELLOW = (r"The generator $G$ and the discriminator $D$ play the minimax game with value "
              r"$V(D, G) = \mathbb{E}_{x \sim p_{\text{data}}}[\log D(x)] + "
              r"\mathbb{E}_{z \sim p_z}[\log(1 - D(G(z)))]$.")
REAL = r"The discriminator separates real from fake. With $p_r$ the real distribution and $p_g$ the generator's,"
PQ = (r"A discriminator $D$ is trained on the value "
      r"$\mathbb{E}_{x\sim p}[\log D(x)] + \mathbb{E}_{x\sim q}[\log(1-D(x))]$ with two densities $p$ and $q$.")
SAMPLES = (r"The discriminator sees samples $x \sim P$ and generated samples $\tilde{x} = G(z)$, "
           r"$\tilde{x} \sim Q$.")
NO_ROLES = r"The discriminator is a classifier between two densities $p$ and $q$."


def _scan(tmp_path, prose: str, statement: str, lead: str = "For a fixed generator the optimal discriminator is"):
    path = tmp_path / "doc.md"
    path.write_text(f"# Notes\n\n{prose}\n\n{lead}\n$${statement}$$\n", encoding="utf-8")
    return scan_path(path, workers=0, sources=False)[-1]


DISCRIMINATORS = {
    "p_data, p_g, D^*_G": (GOODFELLOW, r"D^*_G(x) = \frac{p_{\text{data}}(x)}{p_{\text{data}}(x) + p_g(x)}",
                           r"p_{data}(x)", r"p_{g}(x)"),
    "p_r, p_g, D^*": (REAL, r"D^*(x) = \frac{p_r(x)}{p_r(x) + p_g(x)}", r"p_{r}(x)", r"p_{g}(x)"),
    "p, q under the value function": (PQ, r"D^*(x) = \frac{p(x)}{p(x) + q(x)}", "p(x)", "q(x)"),
    "P, Q after x = G(z)": (SAMPLES, r"D^{*}(\mathbf{x}) = \frac{1}{1 + Q(\mathbf{x})/P(\mathbf{x})}",
                            r"P(\mathbf{x})", r"Q(\mathbf{x})"),
}


@pytest.mark.parametrize("name", DISCRIMINATORS)
def test_the_optimal_discriminator_is_proved_in_each_notation(tmp_path, name):
    prose, statement, data, generator = DISCRIMINATORS[name]
    record = _scan(tmp_path, prose, statement)
    assert (record.verdict, record.claim) == ("proved", "gan.discriminator.optimal"), record.reason
    step = record.steps[0]
    assert f"data density p as {data}" in step["reason"] and f"generator's q as {generator}" in step["reason"]


WRONG_DISCRIMINATORS = {
    "swapped": (GOODFELLOW, r"D^*_G(x) = \frac{p_g(x)}{p_{\text{data}}(x) + p_g(x)}", lambda d, g: g / (d + g)),
    "the ratio": (REAL, r"D^*(x) = \frac{p_r(x)}{p_g(x)}", lambda d, g: d / g),
    "p, q swapped": (PQ, r"D^*(x) = \frac{q(x)}{p(x) + q(x)}", lambda d, g: g / (d + g)),
}


@pytest.mark.parametrize("name", WRONG_DISCRIMINATORS)
def test_a_wrong_discriminator_is_flagged_with_a_recomputed_counterexample(tmp_path, name):
    prose, statement, stated = WRONG_DISCRIMINATORS[name]
    record = _scan(tmp_path, prose, statement)
    assert (record.verdict, record.claim) == ("disagrees", "gan.discriminator.optimal"), record.reason
    step = record.steps[0]
    m = re.match(r"at (.+?) = (\d+), (.+?) = (\d+): as written ([-0-9/]+), the optimal discriminator ([-0-9/]+)",
                 step["evidence"])
    assert m, step["evidence"]
    d, g = sympy.Integer(m.group(2)), sympy.Integer(m.group(4))
    assert sympy.Rational(m.group(5)) == stated(d, g) != d / (d + g) == sympy.Rational(m.group(6))
    data = m.group(1)
    assert step["correct"].endswith(rf"\frac{{{data}}}{{{data} + {m.group(3)}}}")


def test_the_roles_unfixed_stay_unchecked(tmp_path):
    record = _scan(tmp_path, NO_ROLES, r"D^*(x) = \frac{q(x)}{p(x) + q(x)}")
    assert record.verdict == "unchecked"
    assert "say which density is the data's" in record.steps[0]["reason"]


def test_a_ratio_that_is_not_a_discriminator_is_not_the_claim(tmp_path):
    record = _scan(tmp_path, r"Two densities $p$ and $q$ give the responsibility", r"r(x) = \frac{q(x)}{p(x) + q(x)}",
                   lead="The mixture weight is")
    assert record.claim != "gan.discriminator.optimal" and record.verdict != "disagrees"


VALUES = {  # V, -V and V/2 conventions, JSD and the KL sum to the mixture
    "C(G), JSD": (GOODFELLOW, r"C(G) = -\log 4 + 2\,\mathrm{JSD}(p_{\text{data}} \| p_g)"),
    "L(G, D^*), D_JS": (REAL, r"L(G, D^*) = 2 D_{JS}(p_r \| p_g) - 2\log 2"),
    "loss -V": (PQ, r"\mathcal{L}(D^*) = \log 4 - 2\,\mathrm{JS}(p \| q)"),
    "V/2": (REAL, r"\tfrac{1}{2} V(D^*, G) = \mathrm{JSD}(p_r \| p_g) - \log 2"),
    "KL to the mixture": (PQ, r"V(D^*, G) = \mathrm{KL}\left(p \,\Big\|\, \frac{p+q}{2}\right) + "
                              r"\mathrm{KL}\left(q \,\Big\|\, \frac{p+q}{2}\right) - \log 4"),
}


@pytest.mark.parametrize("name", VALUES)
def test_the_value_at_the_optimum_is_proved_by_its_invariant(tmp_path, name):
    prose, statement = VALUES[name]
    record = _scan(tmp_path, prose, statement, lead="Plugging the optimal discriminator back in gives")
    assert (record.verdict, record.claim) == ("proved", "gan.value.optimal"), record.reason
    assert "holds for V, for -V and for V/2" in record.steps[0]["reason"]


WRONG_VALUES = {  # (statement, the constant and the JS coefficient as written)
    "-log 2 for -log 4": (GOODFELLOW, r"C(G) = -\log 2 + 2\,\mathrm{JSD}(p_{\text{data}} \| p_g)", -sympy.log(2), 2),
    "constant dropped": (REAL, r"L(G, D^*) = 2 D_{JS}(p_r \| p_g)", 0, 2),
    "JS coefficient 1": (PQ, r"V(D^*, G) = -\log 4 + \mathrm{JSD}(p \| q)", -sympy.log(4), 1),
}


@pytest.mark.parametrize("name", WRONG_VALUES)
def test_a_wrong_value_is_flagged_with_the_ratio_recomputed(tmp_path, name):
    prose, statement, c, k = WRONG_VALUES[name]
    record = _scan(tmp_path, prose, statement, lead="Plugging the optimal discriminator back in gives")
    assert (record.verdict, record.claim) == ("disagrees", "gan.value.optimal"), record.reason
    step = record.steps[0]
    ratio, optimum = (float(x) for x in re.findall(r"= (-?[0-9.]+)", step["evidence"])[-2:])
    assert ratio == pytest.approx(float(sympy.sympify(c) / k), abs=1e-5)
    assert optimum == pytest.approx(float(-sympy.log(4) / 2), abs=1e-5) != ratio
    assert "JSD" in step["correct"] and step["correct"].startswith(statement.split("=")[0].strip())


def test_a_value_without_js_or_up_to_a_constant_is_not_flagged(tmp_path):
    record = _scan(tmp_path, GOODFELLOW, r"V(D^*_G, G) = \mathbb{E}_{x \sim p_{\text{data}}}"
                                         r"\left[\log \frac{p_{\text{data}}(x)}{p_{\text{data}}(x) + p_g(x)}\right]",
                   lead="Plugging the optimal discriminator back in gives")
    assert record.verdict != "disagrees" and record.claim != "gan.value.optimal"
    record = _scan(tmp_path, GOODFELLOW, r"C(G) = 2\,\mathrm{JSD}(p_{\text{data}} \| p_g)",
                   lead="Up to an additive constant, at the optimal discriminator,")
    assert record.verdict == "unchecked"
