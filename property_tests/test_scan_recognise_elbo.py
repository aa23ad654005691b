r"""derivspec scan recognises the ELBO's gap identity written the other way round: the ELBO on the left,
``\log p(x)`` and a KL on the right (``\mathrm{ELBO}(q) = \log p(x) - \mathrm{KL}(q(z) \| p(z \mid x))``), the
ELBO applied to its parameters (``\mathrm{ELBO}(q)``, ``\mathrm{ELBO}(\theta, \phi)``), and shows a wrong
one's correct form as the standard definition in the lecture's symbols. The snippets are written for
these tests.
"""

from __future__ import annotations

import pytest

from scanning import scan_text

PROVED = [
    r"\mathrm{ELBO}(q) = \log p(x) - \mathrm{KL}(q(z) \| p(z \mid x))",
    r"\mathrm{ELBO} = \log p(x) - \mathrm{KL}(q(z \mid x) \| p(z \mid x))",
    r"\mathrm{ELBO}(\theta, \phi) = \log p(x) - \mathrm{KL}(q(z \mid x) \| p(z \mid x))",
]
WRONG = [
    r"\mathrm{ELBO} = \log p(x) + \mathrm{KL}(q(z) \| p(z \mid x))",  # the sign of the gap
    r"\mathrm{ELBO}(q) = \log p(x) - \mathrm{KL}(p(z \mid x) \| q(z))",  # the KL's direction
    r"\mathrm{ELBO}(q) = \log p(x) - \mathrm{KL}(q(z \mid x) \| p(z))",  # the prior for the posterior
]


def one(tmp_path, text: str):
    (record,) = scan_text(tmp_path, text)
    return record


@pytest.mark.parametrize("statement", PROVED)
def test_the_gap_identity_with_the_elbo_on_the_left_is_proved(tmp_path, statement):
    record = one(tmp_path, f"Hence\n\n$${statement}$$")
    assert (record.verdict, record.claim) == ("proved", "elbo.gap"), record.reason


@pytest.mark.parametrize("statement", WRONG)
def test_a_wrong_one_is_flagged_with_the_standard_form_in_the_lectures_symbols(tmp_path, statement):
    record = one(tmp_path, f"Hence\n\n$${statement}$$")
    assert (record.verdict, record.claim) == ("disagrees", "elbo.gap"), record.reason
    written, derived = (float(v.split()[0]) for v in record.evidence.split("as written ")[1].split(", derived "))
    assert abs(written - derived) > 1e-6  # the counterexample's two values differ
    left = statement.split(" = ")[0]
    assert record.correct.startswith(left + " = ") and r"\log p(x, z)" in record.correct
    assert "q(z" in record.correct.split(" = ", 1)[1]


def test_a_parameter_that_is_an_expression_is_not_the_elbo(tmp_path):
    """\\mathrm{ELBO}(q + 1): not the ELBO applied to its parameters."""
    record = one(tmp_path, r"Hence $$\mathrm{ELBO}(q + 1) = \log p(x) + \mathrm{KL}(q(z) \| p(z \mid x))$$")
    assert record.verdict != "disagrees", record.reason


def test_the_elbo_at_the_posterior_under_a_condition_is_not_flagged(tmp_path):
    records = scan_text(tmp_path, r"If $q(z) = p(z \mid x)$, then $$\mathrm{ELBO}(q) = \log p(x)$$")
    (record,) = [r for r in records if "ELBO" in r.text]
    assert record.verdict != "disagrees", record.reason
