r"""Latent-variable models: Gaussian mixtures and EM, factor analysis and probabilistic PCA,
Markov chains and hidden Markov models; the variance of mixtures and of products.

Modules:

* ``gmm`` -- the two-component mixture's marginal and responsibilities (Bayes' rule), its
  variance by the law of total variance, and the variance of a normalised product of Gaussians;
* ``em`` -- EM: the gap log p(x) − ELBO(q) = KL(q ‖ p(z|x)) that the E-step closes, the M-step
  closed forms (weighted mean, weighted variance, mixing weight), and the symmetric
  initialisation's fixed point;
* ``factor_analysis`` -- x = Wz + b + ε with z ~ N(0, 1), ε ~ N(0, Ψ) (D = 2, d = 1): the
  marginal N(b, wwᵀ + Ψ), the posterior of z, and the PPCA noise MLE (smaller eigenvalue);
* ``markov`` -- parameter counts of a Markov chain (2n − 1 for binary variables, against
  2ⁿ − 1 for the full joint) and the forward–backward posterior of a two-step HMM.

Executable specifications: ``reference_models/gmm_em.py`` (EM on 1-D and 2-D mixtures),
``reference_models/ppca.py`` (closed form, EM, factor analysis), ``reference_models/hmm.py``
(forward–backward, parameter counts by Jacobian rank).

Seeds: 004 L785–811, L856–998, L1916–1970, L2059–2127, L2549–2557; 002 L303–311.
"""
