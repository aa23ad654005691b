r"""Expectations of polynomials under a Gaussian, from its first two moments.

For x ~ N(m, S): E[x_i] = m_i and E[x_i x_j] = S_ij + m_i m_j. A derivation step that takes
an expectation of a log-density ratio (a polynomial of degree <= 2 in x) uses this, the way a
lecture writes "E[(x-\mu_2)^2] = \sigma_1^2 + (\mu_1-\mu_2)^2".
"""

from __future__ import annotations

from typing import Sequence

import sympy


def gaussian_expectation(expr: sympy.Expr, xs: Sequence[sympy.Symbol], mean: Sequence[sympy.Expr],
                         cov: sympy.Matrix) -> sympy.Expr:
    """E[expr] for x ~ N(mean, cov), where expr is a polynomial of degree <= 2 in xs."""
    poly = sympy.Poly(sympy.expand(expr), *xs)
    total = sympy.Integer(0)
    for powers, coefficient in poly.terms():
        factors = [i for i, k in enumerate(powers) for _ in range(k)]
        if len(factors) == 0:
            total += coefficient
        elif len(factors) == 1:
            total += coefficient * mean[factors[0]]
        elif len(factors) == 2:
            i, j = factors
            total += coefficient * (cov[i, j] + mean[i] * mean[j])
        else:
            raise ValueError(f"degree {len(factors)} term in x: only moments up to order 2 are used")
    return total
