r"""MLE of a categorical distribution: π̂_k = n_k/N (three classes, derived with π_3 = 1 − π_1 − π_2).

Seeds: 003 L336–344 (the one-hot form, its mean).
"""

from __future__ import annotations

import sympy
from sympy import log

from derivspec.core import Claim, Source, Step, Var, WrongVariant, claim, count_between
from derivspec.core.lectures import S003

COUNTS = tuple(Var(f"n{k}", f"n_{k}", count_between(1, 12)) for k in (1, 2, 3))
n1, n2, n3 = (v.symbol for v in COUNTS)
pi1, pi2 = sympy.symbols("pi1 pi2", positive=True)


def one_hot(k: int, classes: int = 3) -> tuple[int, ...]:
    """The one-hot vector e_k of class k (0-based) that 003 L338 defines."""
    return tuple(int(j == k) for j in range(classes))


@claim("estimation.categorical.mle")
def estimation_categorical_mle() -> Claim:
    """argmax_π Σ_k n_k log π_k on the simplex: π̂_1 = n_1/(n_1 + n_2 + n_3)."""
    return Claim(
        title="Categorical MLE: π̂_k = n_k/N, the class frequency (three classes)",
        statement=r"\hat\pi_1 \text{ of } \arg\max_{\pi:\ \sum_k\pi_k = 1} \sum_{k=1}^3 n_k \log\pi_k",
        variables=COUNTS,
        derivation=(
            Step(r"definition: the log-likelihood \sum_k n_k\log\pi_k of counts n_k (one-hot product form "
                 r"\prod_k\pi_k^{y_k} per observation), on the simplex: \pi_3 = 1 - \pi_1 - \pi_2",
                 n1 * log(pi1) + n2 * log(pi2) + n3 * log(1 - pi1 - pi2)),
            Step(r"stationary point: \partial/\partial\pi_1 = \partial/\partial\pi_2 = 0, i.e. n_1/\pi_1 = n_2/\pi_2 = n_3/\pi_3; solve",
                 n1 / (n1 + n2 + n3),
                 op=lambda e: sympy.solve([sympy.diff(e, pi1), sympy.diff(e, pi2)], [pi1, pi2], dict=True)[0][pi1]),
        ),
        wrong_variants=(
            WrongVariant("normalised by the other classes only", n1 / (n2 + n3)),
            WrongVariant("add-one smoothing (a posterior mean, not the MLE)", (n1 + 1) / (n1 + n2 + n3 + 3)),
        ),
        sources=(
            Source(S003, "344", r"**Mean** \cdot \mathbb{E}[\mathbf{y}] = \boldsymbol{\pi}. Bernoulli is the special case K = 2.",
                   expr=sum(n / (n1 + n2 + n3) * one_hot(k)[0] for k, n in enumerate((n1, n2, n3))),
                   note=r"E[y] = \sum_k P(Y = k)\,e_k computed from one-hot vectors for the empirical distribution "
                        r"P(Y = k) = n_k/N: its first coordinate is the class frequency, this claim's \hat\pi_1"),
        ),
    )
