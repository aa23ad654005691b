r"""The Gaussian KL in any letters (issue 25): kl.gaussian.univariate read from the laws' places, kl.vae-regulariser
when a term changes. The documents are written for these tests (benchmarks/scan_known_quantities/gaussian_kl.md and
h69_gaussians.md hold the same notations in prose)."""

from __future__ import annotations

import math
import re

import pytest
import sympy
from hypothesis import given, settings, strategies as st

from scanning import scan_text

RIGHT = r"\log \frac{T}{S} + \frac{S^2 + (A - B)^2}{2 T^2} - \frac{1}{2}"
WRONG = {  # planted error -> (the right side's template, its value at (a, s, b, t))
    "log dropped": (r"\frac{T}{S} + \frac{S^2 + (A - B)^2}{2 T^2} - \frac{1}{2}",
                    lambda a, s, b, t: t / s + (s**2 + (a - b)**2) / (2 * t**2) - 0.5),
    "sign flipped": (r"\log \frac{T}{S} + \frac{S^2 + (A - B)^2}{2 T^2} + \frac{1}{2}",
                     lambda a, s, b, t: math.log(t / s) + (s**2 + (a - b)**2) / (2 * t**2) + 0.5),
    "ratio inverted": (r"\log \frac{S}{T} + \frac{S^2 + (A - B)^2}{2 T^2} - \frac{1}{2}",
                       lambda a, s, b, t: math.log(s / t) + (s**2 + (a - b)**2) / (2 * t**2) - 0.5),
    "sigma for sigma^2": (r"\log \frac{T}{S} + \frac{S + (A - B)^2}{2 T^2} - \frac{1}{2}",
                          lambda a, s, b, t: math.log(t / s) + (s + (a - b)**2) / (2 * t**2) - 0.5),
    "wrong normaliser": (r"\log \frac{T}{S} + \frac{S^2 + (A - B)^2}{T^2} - \frac{1}{2}",
                         lambda a, s, b, t: math.log(t / s) + (s**2 + (a - b)**2) / t**2 - 0.5),
}
LETTERS = [("a", "s", "b", "t"), ("m_q", "s_q", r"\mu_0", r"\sigma_0"), ("m", "r", "n", "u"),
           (r"\mu_q", r"\sigma_q", r"\mu_p", r"\sigma_p")]


def fill(template: str, letters) -> str:
    table = dict(zip("ASBT", letters))
    return re.sub(r"[ASBT]", lambda m: table[m.group(0)], template)


def record(tmp_path, preamble: str, statement: str):
    found = [r for r in scan_text(tmp_path, preamble + "$$" + statement + "$$\n")
             if r.text.replace(" ", "") == statement.replace(" ", "")]
    assert len(found) == 1, [(r.text, r.verdict) for r in found]
    return found[0]


def declared(letters, first="P", second="Q") -> str:
    a, s, b, t = letters
    return rf"For ${first} = \mathcal{{N}}({a}, {s}^2)$ and ${second} = \mathcal{{N}}({b}, {t}^2)$:" "\n\n"


def written(letters) -> str:
    a, s, b, t = letters
    return rf"\mathrm{{KL}}(\mathcal{{N}}({a}, {s}^2) \| \mathcal{{N}}({b}, {t}^2))"


def _reading(found, letters):
    a, s, b, t = letters
    for name, role in ((a, r"\mu_1"), (s, r"\sigma_1"), (b, r"\mu_2"), (t, r"\sigma_2")):
        shown = re.sub(r"_(\\?[A-Za-z0-9]+)", r"_{\1}", name)
        assert f"{shown} as {role}" in found.reason, found.reason


# --- the univariate KL: the laws' places fix the roles, whatever the letters ----------------------------------

@pytest.mark.parametrize("letters", LETTERS)
@pytest.mark.parametrize("how", ["declared", "declared, subscripted names", "written"])
def test_the_univariate_kl_is_proved_with_the_mapping(tmp_path, letters, how):
    if how == "written":
        found = record(tmp_path, "With other letters:\n\n", written(letters) + " = " + fill(RIGHT, letters))
    else:
        first, second = ("P", "Q") if how == "declared" else ("q", "p_0")
        found = record(tmp_path, declared(letters, first, second),
                       rf"\mathrm{{KL}}({first} \,\|\, {second}) = " + fill(RIGHT, letters))
    assert (found.verdict, found.claim) == ("proved", "kl.gaussian.univariate"), found.reason
    _reading(found, letters)


def test_the_roles_follow_the_arguments_order(tmp_path):
    """KL(Q || P) after P = N(a, s^2), Q = N(b, t^2): Q is the first law."""
    found = record(tmp_path, declared(LETTERS[0]), r"\mathrm{KL}(Q \| P) = " + fill(RIGHT, ("b", "t", "a", "s")))
    assert found.verdict == "proved", found.reason
    _reading(found, ("b", "t", "a", "s"))


def _evidence(found) -> tuple[dict, float, float]:
    m = re.match(r"at (.*?): as written (\S+), derived (\S+)$", found.evidence)
    assert m, found.evidence
    values = {k.strip(): float(sympy.Rational(v)) for k, v in (p.split("=") for p in m.group(1).split(", "))}
    return values, float(m.group(2)), float(m.group(3))


@pytest.mark.parametrize("letters", LETTERS[:3])
@pytest.mark.parametrize("name", sorted(WRONG))
def test_a_wrong_univariate_kl_is_flagged_with_a_counterexample(tmp_path, letters, name):
    template, value = WRONG[name]
    found = record(tmp_path, declared(letters), r"\mathrm{KL}(P \,\|\, Q) = " + fill(template, letters))
    assert (found.verdict, found.claim) == ("disagrees", "kl.gaussian.univariate"), found.reason
    values, as_written, derived = _evidence(found)
    a, s, b, t = (values[re.sub(r"_(\\?[A-Za-z0-9]+)", r"_{\1}", n)] for n in letters)
    assert as_written == pytest.approx(value(a, s, b, t), rel=1e-8)
    assert derived == pytest.approx(math.log(t / s) + (s**2 + (a - b)**2) / (2 * t**2) - 0.5, rel=1e-8)
    # the correct form in the lecture's letters, no claim letter left
    assert r"\mu_1" not in found.correct and r"\sigma_2" not in found.correct, found.correct
    assert f"2{letters[3]}^2" in re.sub(r"[{} ]", "", found.correct), found.correct


@settings(max_examples=8, deadline=None)
@given(st.permutations(["a", "b", "c", "s", "t", "u"]))
def test_any_four_letters_are_read_by_place(tmp_path_factory, letters):
    letters = tuple(letters[:4])
    found = record(tmp_path_factory.mktemp("kl"), "For two Gaussians:\n\n", written(letters) + " = "
                   + fill(RIGHT, letters))
    assert found.verdict == "proved", found.reason
    _reading(found, letters)


@pytest.mark.parametrize("statement", [
    # a standard deviation as N's second argument (another convention): the variance is not fixed
    r"\mathrm{KL}(\mathcal{N}(a, s) \| \mathcal{N}(b, t)) = \log \frac{t}{s} + \frac{s^2 + (a - b)^2}{2 t^2} - "
    r"\frac{1}{2}",
    # a name the laws do not give
    r"\mathrm{KL}(\mathcal{N}(a, s^2) \| \mathcal{N}(b, t^2)) = \log \frac{t}{s} + \frac{s^2 + (a - b)^2}{2 t^2} - "
    r"\frac{c}{2}",
])
def test_look_alikes_are_not_flagged(tmp_path, statement):
    found = record(tmp_path, "Two Gaussians:\n\n", statement)
    assert found.verdict == "unchecked", found.reason


def test_one_mean_for_both_laws_is_the_special_case_of_the_kl(tmp_path):
    """One lecture name in both mean places: the normal family's KL row reads the laws by place (any names) and
    proves the special case; the twin with the variance ratio upside down is flagged."""
    kl = r"\mathrm{KL}(\mathcal{N}(a, s^2) \| \mathcal{N}(a, t^2)) = \log \frac{t}{s} + "
    assert record(tmp_path, "Two Gaussians:\n\n", kl + r"\frac{s^2}{2 t^2} - \frac{1}{2}").verdict == "proved"
    assert record(tmp_path, "Two Gaussians:\n\n", kl + r"\frac{t^2}{2 s^2} - \frac{1}{2}").verdict == "disagrees"


# --- the VAE's KL summed over dimensions: any term set is compared -----------------------------------------------

ENCODER = (r"A diagonal Gaussian encoder $q(z|x) = \mathcal{N}(z; \mu, \mathrm{diag}(\sigma^2))$ over $J$ latent "
           r"dimensions, against the prior $p(z) = \mathcal{N}(0, I)$, pays" "\n\n")
KL = r"D_{KL}(q(z|x) \| p(z))"


@pytest.mark.parametrize("statement", [
    KL + r" = \frac{1}{2}\sum_{j=1}^{J}\left(\mu_j^2 + \sigma_j^2 - 1\right) - \sum_{j=1}^{J}\log\sigma_j",
    "-" + KL + r" = \frac{1}{2}\sum_{j=1}^{J}\left(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\right)",
    KL + r" = -\frac{1}{2}\sum_{j=1}^{J}\left(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\right)",
    KL + r" = \frac{1}{2}\sum_{j=1}^{J}\left(\mu_j^2 + \sigma_j^2 - 2\log\sigma_j - 1\right)",
])
def test_the_vae_kl_in_other_conventions_is_proved(tmp_path, statement):
    found = record(tmp_path, ENCODER, statement)
    assert (found.verdict, found.claim) == ("proved", "kl.vae-regulariser"), found.reason
    assert r"\mu_j the coordinates of the mean and \sigma_j of the standard deviation" in found.reason


VAE_WRONG = {  # the right side, and its value per dimension at (mu, sigma)
    "log dropped (sigma cancels)": (r"\frac{1}{2}\sum_{j=1}^{J}\left(\mu_j^2 + \sigma_j^2 - \sigma_j^2 - 1\right)",
                                    lambda m, s: 0.5 * (m**2 - 1)),
    "log dropped": (r"\frac{1}{2}\sum_{j=1}^{J}\left(\mu_j^2 + \sigma_j^2 - 1\right)",
                    lambda m, s: 0.5 * (m**2 + s**2 - 1)),
    "log sigma inside the half": (r"\frac{1}{2}\sum_{j=1}^{J}\left(\mu_j^2 + \sigma_j^2 - \log\sigma_j - 1\right)",
                                  lambda m, s: 0.5 * (m**2 + s**2 - math.log(s) - 1)),
    "sign of the log term flipped": (r"\frac{1}{2}\sum_{j=1}^{J}\left(\mu_j^2 + \sigma_j^2 - 1\right) + "
                                     r"\sum_{j=1}^{J}\log\sigma_j", lambda m, s: 0.5 * (m**2 + s**2 - 1) + math.log(s)),
    "Kingma-Welling without the minus": (r"\frac{1}{2}\sum_{j=1}^{J}\left(1 + \log\sigma_j^2 - \mu_j^2 - "
                                         r"\sigma_j^2\right)", lambda m, s: 0.5 * (1 + math.log(s**2) - m**2 - s**2)),
}


@pytest.mark.parametrize("name", sorted(VAE_WRONG))
def test_a_wrong_sum_over_dimensions_is_flagged(tmp_path, name):
    body, term = VAE_WRONG[name]
    found = record(tmp_path, ENCODER, KL + " = " + body)
    assert (found.verdict, found.claim) == ("disagrees", "kl.vae-regulariser"), found.reason
    m = re.match(r"at \S+ = (\d+), (.*?): as written (\S+), derived (\S+)$", found.evidence)
    assert m, found.evidence
    values = {k: float(sympy.Rational(v)) for k, v in (p.split("=") for p in m.group(2).split(", "))}
    n = int(m.group(1))
    pairs = [(values.get(rf"\mu_{k}", 0.0), values[rf"\sigma_{k}"]) for k in range(1, n + 1)]
    assert float(m.group(3)) == pytest.approx(sum(term(a, s) for a, s in pairs), rel=1e-8, abs=1e-9)
    assert float(m.group(4)) == pytest.approx(sum(0.5 * (a**2 + s**2 - 1 - math.log(s**2)) for a, s in pairs),
                                              rel=1e-8)
    assert found.correct == r"\frac12\sum_{j=1}^{J}\left(\mu_j^2 + \sigma_j^2 - 1 - \log\sigma_j^2\right)"


def test_sums_over_two_indices_stay_unchecked(tmp_path):
    found = record(tmp_path, ENCODER, KL + r" = \frac{1}{2}\sum_{j=1}^{J}\left(\mu_j^2 + \sigma_j^2 - 1\right) - "
                                           r"\sum_{i=1}^{J}\log\sigma_i")
    assert found.verdict == "unchecked", found.reason


def test_a_sum_without_either_family_stays_unchecked(tmp_path):
    found = record(tmp_path, ENCODER, KL + r" = \frac{1}{2}\sum_{j=1}^{J}\left(c_j - 1\right)")
    assert found.verdict == "unchecked", found.reason
