r"""The symmetric CLIP loss: the mean of the image→text and text→image batch-mean InfoNCE (N = 3).

With the similarity matrix S (rows: images, columns: texts, the diagonal the true pairs),
L = ½[(1/N) Σ_i CE(S_i·, i) + (1/N) Σ_j CE(S_·j, j)], each row and column a softmax
cross-entropy (claim nll.categorical). Written for N = 3; larger N is checked numerically
(property_tests/test_contrastive.py).

Seeds: 001 L78 (average over the batch, symmetrised), L93–96 (the shared space, retrieval).
"""

from __future__ import annotations

from sympy import Rational, exp, log

from derivspec.core import REAL, Claim, Source, Step, Var, WrongVariant, claim, target_of
from derivspec.core.lectures import S001, S004
from derivspec.derivations.nll.categorical import h1, h2, h3

S = [[Var(f"s{i}{j}", f"s_{{{i}{j}}}", REAL) for j in (1, 2, 3)] for i in (1, 2, 3)]
s = [[v.symbol for v in row] for row in S]


def row_ce(values, label):
    """−log softmax(values)_label in log-sum-exp form."""
    return -values[label] + log(sum(exp(v) for v in values))


def rows_mean():
    return sum(row_ce(s[i], i) for i in range(3)) / 3


def columns_mean():
    return sum(row_ce([s[k][j] for k in range(3)], j) for j in range(3)) / 3


def _as_class_one(values, label):
    """The softmax cross-entropy of ``values`` with ``label`` (claim nll.categorical, whose
    observed class is h1): put the labelled logit in the h1 slot."""
    others = [v for k, v in enumerate(values) if k != label]
    return target_of("nll.categorical").subs({h1: values[label], h2: others[0], h3: others[1]}, simultaneous=True)


@claim("contrastive.clip.symmetric")
def contrastive_clip_symmetric() -> Claim:
    """½(mean row CE + mean column CE) = (1/6) Σ_i [−2 s_ii + log Σ_j e^{s_ij} + log Σ_j e^{s_ji}]."""
    definition = (sum(_as_class_one(s[i], i) for i in range(3)) / 3
                  + sum(_as_class_one([s[k][j] for k in range(3)], j) for j in range(3)) / 3) / 2
    closed = Rational(1, 6) * sum(-2 * s[i][i] + log(sum(exp(s[i][j]) for j in range(3)))
                                  + log(sum(exp(s[j][i]) for j in range(3))) for i in range(3))
    return Claim(
        title="Symmetric CLIP loss: the mean of the two directions' batch-mean InfoNCE (N = 3)",
        statement=r"\tfrac12\Big[\tfrac1N\sum_i -\log\frac{e^{s_{ii}}}{\sum_j e^{s_{ij}}} + \tfrac1N\sum_j -\log\frac{e^{s_{jj}}}{\sum_i e^{s_{ij}}}\Big]",
        variables=tuple(v for row in S for v in row),
        derivation=(
            Step("definition: image→text, row i of S is a softmax cross-entropy with label i; text→image, column j "
                 "with label j (claim nll.categorical for each); average over the batch, then over the two directions",
                 definition),
            Step(r"collect: each true pair s_{ii} appears once per direction", closed),
        ),
        wrong_variants=(
            WrongVariant("image→text direction only", rows_mean()),
            WrongVariant("summed the two directions instead of averaging", rows_mean() + columns_mean()),
            WrongVariant("summed over the batch instead of averaging", 3 * (rows_mean() + columns_mean()) / 2),
            WrongVariant("true pairs left out of the denominators (negatives only)",
                         sum(-2 * s[i][i] + log(sum(exp(s[i][j]) for j in range(3) if j != i))
                             + log(sum(exp(s[j][i]) for j in range(3) if j != i)) for i in range(3)) / 6),
        ),
        sources=(
            Source(S001, "78", r"Total loss is average over batch, sometimes symmetrized (image→text and text→image directions).",
                   expr=rows_mean() + columns_mean(), relation="proportional", free_of=tuple(v.name for row in S for v in row),
                   note="symmetrised as the sum of the two directions' batch averages; the source does not say whether the "
                        "two directions are summed or averaged, so it is compared up to that constant factor"),
            Source(S001, "93–96", r"CLIP: image encoder + text encoder trained with InfoNCE = **shared text–image space**. Great for cross-modal **alignment**, **retrieval**",
                   behaviour="clip_retrieves_partners", at={"rho": 0.8, "d": 2, "batch": 32},
                   correct="a dual encoder trained with the CLIP loss ranks the true partner first far above the chance "
                           "rate 1/N"),
            Source(S004, "4246", r"**CLIP Score** (text-image alignment): Cosine similarity in CLIP embedding space",
                   note="an evaluation metric defined on the trained embeddings (a definition); nothing to compare"),
        ),
    )
