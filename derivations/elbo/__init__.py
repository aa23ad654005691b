r"""The evidence lower bound: the ELBO, its gap, the IWAE bound and the ELBO's gradient estimators.

Modules:

* ``conjugate`` -- the conjugate linear-Gaussian model z ~ N(0, 1), x | z ~ N(wz, s²) with
  q(z) = N(m, v), where every term has a closed form: the ELBO (``elbo.linear-gaussian``),
  the evidence (``elbo.evidence``), the gap log p(x) − ELBO = KL(q ‖ p(z|x)) (``elbo.gap``),
  the reconstruction − KL split (``elbo.recon-kl``), the optimal q
  (``elbo.optimal-q.mean``/``.variance``), the bound reached there (``elbo.bound``) and the
  decoder gradient (``elbo.decoder-gradient``);
* ``iwae`` -- the importance-weighted bound L_K = E[log (1/K) Σ_k p(x, z_k)/q(z_k)] worked
  exactly for K = 2 and a two-point latent (``elbo.iwae.bound``): ELBO = L_1 ≤ L_2 ≤ log p(x);
* ``gradient`` -- ∂/∂m E_{z~N(m,v)}[f(z)] by the reparameterisation (pathwise) and the
  score-function (REINFORCE, log-derivative) estimators, and the gap between their variances
  (``elbo.gradient.reparameterisation``, ``elbo.gradient.score-function``,
  ``elbo.gradient.variance``).

Behaviour sources ("ELBO ≤ log p(x)", "IWAE gives tighter bounds", "low-variance gradient
estimates", "gradients flow through the sample") are run by checks in ``numerics/elbo.py`` on
the reference VAE (``reference_models/vae.py``) and the reference estimators
(``reference_models/gradient_estimators.py``).

Seeds: 002 L107–108, L169–214, L264–288 (the VAE and the ELBO derivation); 003 L167, L713–719,
L749–753, L860, L1739; 004 L1099–1109, L1271–1301, L1412–1438, L2565–2639, L2687–2691, L4146–4150.
"""
