r"""Sampling: Monte Carlo and importance sampling, MCMC (Metropolis–Hastings, Gibbs, HMC) and
energy-based models (the log-partition gradient, the RBM's conditionals and free energy).

Modules:

* ``monte_carlo`` -- the standard error σ/√n of a Monte Carlo mean;
* ``importance`` -- importance sampling: the evidence estimate is unbiased, the relative
  variance of the weights for Gaussian target and proposal (zero when the proposal is the
  target), the effective-sample-size fraction, the bias of self-normalised IS with two draws,
  and the IWAE gap's rate K(log p − L_K) → Var[w]/(2p²), for any model;
* ``mcmc`` -- detailed balance fixes the MH acceptance ratio; the Gibbs conditionals of a
  bivariate normal; the leapfrog map has unit Jacobian determinant;
* ``energy`` -- ∂ log Z/∂θ = E_p[−∂E/∂θ]; an RBM's p(h|v) factorises into sigmoids and its
  free energy is closed form.

Executable specifications: ``reference_models/importance.py`` (IS/SNIS, ESS, exact SNIS and
IWAE expectations), ``reference_models/mcmc.py`` (MH, Gibbs, HMC with goodness-of-fit tests),
``reference_models/rbm.py`` (brute-force partition function), ``reference_models/bernoulli_vae.py``
(IWAE on a Bernoulli decoder with the exact evidence).

Seeds: 003 L725–741; 004 L1124–1168, L1241–1245, L1287–1315, L1459–1485, L2330–2336, L2689–2693.
"""
