r"""derivspec scan recognises the gan family's results by structure: each claim with a ``recognise``
shape is proved in two notations other than its own, a planted mistake is flagged with a
counterexample and the correct form, and a twin that names another quantity is never flagged.

The optimal discriminator is often written with the generator it is optimal for, ``D^*_G(x)``
(a label subscript on the starred name, derivspec/scan/known.py ``_optimum_for``). The snippets
are written for these tests.
"""

from __future__ import annotations

import pytest

from derivspec.core import registry
from scanning import scan_text

CASES = {
    "gan.discriminator.optimal": (
        (r"D^*_G(x) = \frac{p_{data}(x)}{p_{data}(x) + p_g(x)}",
         r"D_{\theta}^{*}(x) = \frac{p_{\mathrm{data}}(x)}{p_\theta(x) + p_{\mathrm{data}}(x)}"),
        (r"D^*_G(x) = \frac{p_g(x)}{p_{data}(x) + p_g(x)}",  # the ratio inverted
         r"D^*(x) = \frac{p_{\mathrm{data}}(x)}{p_g(x)}"),  # the density ratio, not the discriminator
        (r"D_G(x) = \frac{p_g(x)}{p_{data}(x) + p_g(x)}",  # no star: some discriminator the lecture defines
         r"D^*_{t-1}(x) = \frac{p_g(x)}{p_{data}(x) + p_g(x)}"),  # a subscript that is not a label
    ),
    "gan.value.optimal": (
        (r"V(G, D^*) = -\log 4 + 2\,\mathrm{JSD}(p_{\text{data}} \| p_g)",
         r"V(D^*, G) = 2\,\mathrm{JSD}(p_{data} \| p_g) - 2\log 2"),  # the paper's order of arguments
        (r"V(G, D^*) = -\log 2 + 2\,\mathrm{JSD}(p_{\text{data}} \| p_g)",
         r"V(G, D^*) = -\log 4 + \mathrm{JSD}(p_{\text{data}} \| p_g)"),
        (r"V(G, D) = -\log 2 + 2\,\mathrm{JSD}(p_{\text{data}} \| p_g)",  # not at the optimum
         r"V(D, G) = -\log 2 + 2\,\mathrm{JSD}(p_{\text{data}} \| p_g)"),
    ),
}


def one(tmp_path, latex: str):
    (record,) = scan_text(tmp_path, f"$${latex}$$")
    return record


def cases(position: int):
    return [pytest.param(claim_id, text, id=f"{claim_id}-{k}")
            for claim_id, groups in CASES.items() for k, text in enumerate(groups[position])]


def test_every_recognisable_gan_claim_has_cases():
    recognisable = {claim_id for claim_id in registry.REGISTRY.ids()
                    if claim_id.startswith("gan.") and registry.get(claim_id).recognise}
    assert recognisable == set(CASES)


@pytest.mark.parametrize("claim_id, text", cases(0))
def test_the_result_is_proved_in_another_notation(tmp_path, claim_id, text):
    record = one(tmp_path, text)
    assert (record.kind, record.verdict, record.claim) == ("known", "proved", claim_id), record.reason


@pytest.mark.parametrize("claim_id, text", cases(1))
def test_a_planted_mistake_disagrees_with_a_counterexample_and_the_correct_form(tmp_path, claim_id, text):
    record = one(tmp_path, text)
    assert (record.kind, record.verdict, record.claim) == ("known", "disagrees", claim_id), record.reason
    assert "as written" in record.evidence and "derived" in record.evidence
    assert record.correct


@pytest.mark.parametrize("claim_id, text", cases(2))
def test_a_twin_that_names_another_quantity_is_not_flagged(tmp_path, claim_id, text):
    record = one(tmp_path, text)
    assert record.verdict != "disagrees", (record.claim, record.reason, record.evidence)
