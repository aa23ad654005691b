r"""Normalizing flows: change of variables, composition, coupling and autoregressive layers,
planar flows, the 1×1 convolution, continuous flows and Hutchinson's trace estimator.

Every density claim starts from the definition of a density as the derivative of a CDF, or
from the change-of-variables formula :math:`p_X(x) = p_Z(g(x))\,|\det J_g(x)|` with
:math:`g = f^{-1}` and the Jacobian built by SymPy, and rewrites line by line. General
results (any d, any K) are derived in a small fixed case (d = 1, 2 or 3, K = 2) and checked at
larger sizes numerically by the reference models of ``reference_models/flows.py``.

Modules: ``change_of_variables`` (scalar and linear change of variables, Box–Muller, a
monotone map that creates a second mode), ``composition`` (the inverse order and the point each
Jacobian is evaluated at), ``coupling`` (affine coupling: log-det and inverse), ``autoregressive``
(triangular determinant, MAF log-density), ``planar`` (matrix determinant lemma), ``glow``
(1×1 convolution), ``continuous`` (instantaneous change of variables, Hutchinson), ``tanh_gaussian`` (the
tanh-squashed diagonal Gaussian of soft actor-critic, any dimension).

Seeds: 004 L1868–1914 (change of variables, Jacobians), L2918–3260 (§10 normalizing flows).
"""
