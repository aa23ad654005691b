r"""The Gaussian integral used by the latent-variable and importance-sampling derivations.

For an integrand :math:`g(z) = g(0)\,e^{A z^2 + B z}` (a product and ratio of Gaussian densities
in z, A < 0)

.. math::  \int_{-\infty}^{\infty} g(z)\,dz = g(0)\,\sqrt{\pi/(-A)}\;e^{-B^2/(4A)},

the step a lecture writes as "complete the square and integrate the Gaussian". A derivation
uses it as the *operation* of a step whose line is written out by hand (as ``moments.py``'s
``gaussian_expectation`` is used), so SymPy still proves the written line.
"""

from __future__ import annotations

import sympy
from sympy import exp, pi, sqrt


def gaussian_integral(integrand: sympy.Expr, z: sympy.Symbol) -> sympy.Expr:
    """∫ integrand dz over the real line, for an integrand g(0)·exp(A z² + B z) with A < 0."""
    exponent = sympy.expand(sympy.expand_log(sympy.log(integrand), force=True))
    poly = sympy.Poly(exponent, z)
    if poly.degree() != 2:
        raise ValueError(f"log of the integrand has degree {poly.degree()} in {z}; a Gaussian integral needs 2")
    a = sympy.factor(poly.coeff_monomial(z**2))
    b = sympy.factor(poly.coeff_monomial(z))
    return integrand.subs(z, 0) * sqrt(sympy.factor(-pi / a)) * exp(sympy.factor(-b**2 / (4 * a)))
