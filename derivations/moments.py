r"""Gaussian moments: expectations of polynomials, and the mean and variance read off a log-density.

For x ~ N(m, S): E[x_i] = m_i and E[x_i x_j] = S_ij + m_i m_j. A derivation step that takes
an expectation of a log-density ratio (a polynomial of degree <= 2 in x) uses this, the way a
lecture writes "E[(x-\mu_2)^2] = \sigma_1^2 + (\mu_1-\mu_2)^2". A log-density that is quadratic
in x, a x² + b x + c with a < 0 (a Gaussian conditional from Bayes' rule: the log of a joint, up
to terms free of x), has mean −b/(2a) and variance −1/(2a): completing the square.
"""

from __future__ import annotations

from typing import Sequence

import sympy


def completed_square(log_density: sympy.Expr, x: sympy.Symbol) -> tuple[sympy.Expr, sympy.Expr]:
    """(mean, variance) of the density ∝ exp(``log_density``) in ``x``, a quadratic a x² + b x + c
    in x (a < 0): mean −b/(2a), variance −1/(2a)."""
    poly = sympy.Poly(sympy.expand(log_density), x)
    if poly.degree() != 2:
        raise ValueError(f"a Gaussian log-density is quadratic in {x}; this one has degree {poly.degree()}")
    a, b = poly.coeff_monomial(x**2), poly.coeff_monomial(x)
    return sympy.simplify(-b / (2 * a)), sympy.simplify(-1 / (2 * a))


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
