r"""Divergences and evaluation metrics: the f-divergence table, JS and Wasserstein on shifted
supports, the f-GAN variational bound, FID between Gaussians and its plug-in bias, the
Inception Score.

f-divergences start from :math:`D_f(P\|Q) = \mathbb E_Q[f(p/q)]` on a two-point space
(P = Bern(p), Q = Bern(q)) and are checked for Gaussians and mixtures by the quadrature
calculator of ``reference_models/divergences.py``; the evaluation metrics are derived in small
fixed cases (d = 1 for FID, two inputs and two classes for IS) and measured in d-D by
``reference_models/fid.py``.

Modules: ``f_divergences`` (KL, reverse KL, JS, χ², TV), ``supports`` (JS = s·log 2 and
W₁ = s for shifted uniforms), ``variational`` (the convex conjugate of t log t and the tight
f-GAN bound), ``fid`` (FID = W₂² between Gaussians, the bias of the plug-in estimate),
``inception`` (the Inception Score).

Seeds: 004 L1544–1585 (§4.5 distances), L4032–4061, L4156–4198 (evaluation).
"""
