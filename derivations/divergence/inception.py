r"""The Inception Score IS = exp(E_x KL(p(y|x) ‖ p(y))), p(y) = E_x p(y|x).

E_x KL(p(y|x) ‖ p(y)) = H(p(y)) − E_x H(p(y|x)) is the mutual information I(x; y) between a
sample and its predicted class, so 1 ≤ IS ≤ K (K classes): IS = 1 when p(y|x) does not depend on
x, IS = K exactly when every p(y|x) is one-hot and p(y) is uniform. Derived for two equally
likely inputs and two classes (p(y=1|x₁) = a, p(y=1|x₂) = b); the bounds and the lecture's
behaviour statements are run on K = 10 classes by ``reference_models/fid.py``.

Seeds: 004 L4168–4181.
"""

from __future__ import annotations

import sympy
from sympy import exp, log

from derivspec.core import UNIT_INTERVAL, Claim, Source, Step, Var, WrongVariant, claim
from derivspec.core.claims import Recognise
from derivspec.core.lectures import S004

A = Var("a", "a", UNIT_INTERVAL)
B = Var("b", "b", UNIT_INTERVAL)
a, b = A.symbol, B.symbol


def kl(s, t) -> sympy.Expr:
    """KL((s, 1−s) ‖ (t, 1−t)) = E[log p − log q] (the definition, logs kept apart)."""
    return s * (log(s) - log(t)) + (1 - s) * (log(1 - s) - log(1 - t))


def entropy(s) -> sympy.Expr:
    return -s * log(s) - (1 - s) * log(1 - s)


def is_terms(m) -> dict:
    r"""The named terms of a lecture's Inception Score, in the two-input model: the mean KL of the
    class posteriors to the marginal (either direction), the marginal's entropy and the mean
    conditional entropy. Only bracketed expectations (\mathbb E_x[...]) are read as such."""
    forward, backward = (kl(a, m) + kl(b, m)) / 2, (kl(m, a) + kl(m, b)) / 2
    marginal, conditional = entropy(m), (entropy(a) + entropy(b)) / 2
    return {r"\mathbb E_x[\mathrm{KL}(p(y \mid x) \| p(y))]": forward,
            r"\mathbb E_x[\mathrm{KL}(p(y) \| p(y \mid x))]": backward,
            r"\mathbb E_x[H(p(y \mid x))]": conditional, r"\mathbb E_x[H(y \mid x)]": conditional,
            r"H(y \mid x)": conditional, r"H(p(y))": marginal, r"H(y)": marginal}


@claim("divergence.inception-score")
def divergence_inception_score() -> Claim:
    r"""IS for x uniform on {x₁, x₂}, p(y=1|x₁) = a, p(y=1|x₂) = b: exp(H((a+b)/2) − ½(H(a) + H(b)))."""
    m = (a + b) / 2
    return Claim(
        title="Inception Score = exp(E_x KL(p(y|x) ‖ p(y))) = exp(H(p(y)) − E_x H(p(y|x))) (two inputs, two classes)",
        # IS alone or IS(G); not \log \mathrm{IS}: inside a shape a lone name is a pattern variable, so that
        # shape would match any \log x
        recognise=(Recognise(r"\mathrm{IS}", interpret=is_terms(m)),
                   Recognise(r"\mathrm{IS}(G)", interpret=is_terms(m))),
        statement=r"\mathrm{IS} = \exp\left(\mathbb E_x \mathrm{KL}(p(y|x)\,\|\,p(y))\right),\ p(y{=}1|x_1) = a,\ p(y{=}1|x_2) = b",
        variables=(A, B),
        derivation=(
            Step(r"definition: p(y) = \mathbb E_x\,p(y|x) = ((a+b)/2, 1-(a+b)/2); the average of the two KLs, exponentiated",
                 exp((kl(a, m) + kl(b, m)) / 2)),
            Step(r"\mathbb E_x\mathrm{KL}(p(y|x)\|p(y)) = \mathbb E_x\sum_y p(y|x)\log p(y|x) - \sum_y p(y)\log p(y) "
                 r"= H(p(y)) - \mathbb E_x H(p(y|x))", exp(entropy(m) - (entropy(a) + entropy(b)) / 2)),
        ),
        wrong_variants=(
            WrongVariant("KL arguments swapped (KL(p(y) ‖ p(y|x)))", exp((kl(m, a) + kl(m, b)) / 2)),
            WrongVariant("no exponential", (kl(a, m) + kl(b, m)) / 2),
            WrongVariant("marginal entropy only, exp H(p(y))", exp(entropy(m))),
        ),
        sources=(
            Source(S004, "4170–4172", r"\text{IS} = \exp(\mathbb{E}_{x \sim p_{\text{model}}}[D_{KL}(p(y|x)||p(y))]) \quad (88); p(y) = \mathbb{E}_x[p(y|x)]",
                   expr=exp((kl(a, m) + kl(b, m)) / 2), note="two equally likely samples x₁, x₂ and two classes"),
            Source(S004, "4174", r"Core idea: Good samples should be recognizable as specific classes (low entropy per sample) AND diverse across samples (high marginal entropy).",
                   behaviour="inception_score_rewards_confident_diverse", at={"classes": 10}),
            Source(S004, "4180", r"Insensitive to mode dropping within classes",
                   behaviour="inception_score_blind_within_class", at={"classes": 10}),
            Source(S004, "4181", r"Can be fooled by generating one perfect sample per class",
                   behaviour="inception_score_fooled_by_one_sample_per_class", at={"classes": 10}),
            Source(S004, "4178–4179", r"Conflates precision and recall into a single number; Biased by pre-trained classifier (typically ImageNet)",
                   nothing_to_compare=True, note="statements about the metric's design and its classifier, not formulas"),
            Source(S004, "4206–4207", r"**Precision:** Fraction of generated samples that lie near the real data manifold; **Recall:** Fraction of the real data manifold covered by generated samples",
                   note="definitions through a manifold estimate, with no formula; the reverse-/forward-KL fits "
                        "(divergence.f.reverse-kl, divergence.f.kl) check the precision/coverage reading of the two KLs"),
        ),
    )
