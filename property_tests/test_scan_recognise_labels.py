r"""Known results recognised whatever the lecture calls its two objects (issue 25, part 1).

A claim written with labels 1 and 2 (``\mu_1, \sigma_1`` against ``\mu_2, \sigma_2``) is recognised
when a lecture labels them q and p, a and b, or with words -- one to one and the same label for every
name of one object. The record says how the lecture's names were read. Documents are written here.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pytest

from scanning import scan_text

GAUSSIAN_KL = (r"\mathrm{KL}(\mathcal N(\mu_{A},\sigma_{A}^2)\|\mathcal N(\mu_{B},\sigma_{B}^2)) = "
               r"\log\frac{\sigma_{B}}{\sigma_{A}} + \frac{\sigma_{A}^2 + (\mu_{A}-\mu_{B})^2}{TWO\sigma_{B}^2} - \frac{1}{2}")


def kl(first: str, second: str, two: str = "2") -> str:
    return "$$" + GAUSSIAN_KL.replace("{A}", "{" + first + "}").replace("{B}", "{" + second + "}").replace("TWO", two) + "$$"


@pytest.mark.parametrize("first, second", [("q", "p"), ("a", "b"), ("2", "1"), (r"\text{old}", r"\text{new}"),
                                           (r"\phi", r"\theta")])
def test_the_gaussian_kl_is_recognised_with_any_two_labels(tmp_path, first, second):
    (record,) = scan_text(tmp_path, kl(first, second))
    assert (record.kind, record.verdict, record.claim) == ("known", "proved", "kl.gaussian.univariate"), record.reason


def test_a_wrong_gaussian_kl_with_labels_is_flagged_in_the_lectures_names(tmp_path):
    (record,) = scan_text(tmp_path, kl("a", "b", two=""))
    assert (record.kind, record.verdict, record.claim) == ("known", "disagrees", "kl.gaussian.univariate")
    assert r"\mu_{a} as \mu_1" in record.reason and r"\sigma_{b} as \sigma_2" in record.reason
    assert r"\sigma_{a}" in record.correct and r"\sigma_{b}" in record.correct  # the correct form in the lecture's names
    assert "as written" in record.evidence and "derived" in record.evidence


@pytest.mark.parametrize("text", [
    # one object's names under two labels: not the claim's two Gaussians
    r"$$\mathrm{KL}(\mathcal N(\mu_q,\sigma_p^2)\|\mathcal N(\mu_p,\sigma_q^2)) = \log\frac{\sigma_q}{\sigma_p}$$",
    # both Gaussians under one label: a label stands for one object only
    r"$$\mathrm{KL}(\mathcal N(\mu_q,\sigma_q^2)\|\mathcal N(\mu_q,\sigma_q^2)) = \frac{1}{2}$$",
    # a time index is not a label: t and t-1 are not read as the claim's 1 and 2
    r"$$\mathrm{KL}(\mathcal N(\mu_t,\sigma_t^2)\|\mathcal N(\mu_{t-1},\sigma_{t-1}^2)) = \log\sigma_t$$",
])
def test_inconsistent_labels_are_not_the_claim(tmp_path, text):
    """The claim's labelled shape does not read them; the normal family's KL row reads the two laws by their places
    (any names), and each of these right sides is wrong for them: its flag must show the true KL at its point."""
    (record,) = scan_text(tmp_path, text)
    assert record.claim != "kl.gaussian.univariate", record.reason
    assert record.verdict == "disagrees" and "normal.kl_normal" in record.reason, record.reason
    point = {name: Fraction(value) for name, value in re.findall(r"(\\[a-z]+_\{[^}]*\})=(-?\d+/\d+)", record.evidence)}
    first, second = re.findall(r"\\mathcal N\((\\mu_\{?[^,}]+\}?),(\\sigma_\{?[^^]+?\}?)\^2\)", text)
    value = {name: point.get(_braced(name), 0) for pair in (first, second) for name in pair}
    m1, s1, m2, s2 = (float(value[n]) for n in (*first, *second))
    kl = math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5 if point else 0.0
    shown = float(re.search(r"left = (-?[\d.e+-]+)", record.evidence).group(1))
    assert shown == pytest.approx(kl, rel=1e-8, abs=1e-12)


def _braced(name: str) -> str:
    r"""\mu_q -> \mu_{q}: the evidence writes every subscript in braces."""
    base, _, sub = name.partition("_")
    return f"{base}_{{{sub.strip('{}')}}}"


@pytest.mark.parametrize("text, verdict", [
    (r"$$\hat\sigma^2_{\text{MLE}} - \hat\sigma_{\text{MLE}}^2 = 0$$", "proved"),
    (r"$$x^2_i + x_i = x_i(x_i + 1)$$", "proved"),
    (r"$$x^2_i + x_i = x_i(x_i + 2)$$", "disagrees"),
])
def test_a_power_written_before_its_subscript_is_read_as_tex_reads_it(tmp_path, text, verdict):
    (record,) = scan_text(tmp_path, text)
    assert record.verdict == verdict, record.reason


def test_a_name_interpreted_in_one_term_keeps_its_meaning_in_the_next(tmp_path):
    """KL(P||M) and KL(Q||N): M and N are two names, not the one mixture the claim interprets."""
    good = r"$$\mathrm{JS}(P \| Q) = \frac{1}{2}\mathrm{KL}(P \| M) + \frac{1}{2}\mathrm{KL}(Q \| M)$$"
    (record,) = scan_text(tmp_path, good)
    assert (record.verdict, record.claim) == ("proved", "divergence.f.js"), record.reason
    (record,) = scan_text(tmp_path, good.replace(r"(Q \| M)", r"(Q \| N)"))
    assert record.verdict != "proved", record.reason
