r"""The general VAE: its loss −ELBO with a Gaussian encoder and a Bernoulli or Gaussian decoder,
the per-example and per-batch conventions, and β-VAE.

Modules:

* ``loss`` -- with q(z|x) = N(μ, σ²) (d = 1), prior N(0, 1) and a decoder over D = 2 pixels,
  the single-sample loss −ELBO is Σ_pixels BCE + KL (Bernoulli decoder, reconstruction = −BCE
  summed over pixels) or ‖x − x̂‖²/(2σ_x²) + (D/2)log(2πσ_x²) + KL (Gaussian decoder: a scaled
  MSE plus a constant); per batch, the mean over examples of the per-example loss. The
  common slips -- BCE/MSE averaged over pixels while the KL is summed, the KL added to the
  ELBO, MSE and KL weighted 1 : 1 with σ_x = 1 -- are its wrong variants;
* ``beta`` -- β-VAE: E_q[log p(x|z)] − β KL(q ‖ p(z)) in the conjugate model is maximised by
  q = N(wx/(w² + βs²), βs²/(w² + βs²)): the exact posterior at β = 1, the prior as β → ∞, and a
  point mass as β → 0 (the reconstruction term alone).

Executable specification: ``reference_models/bernoulli_vae.py`` (a Bernoulli-decoder VAE on
binary data with a one-dimensional latent: exact log p(x) by quadrature, ELBO ≤ IWAE_K ≤ log p).
The conjugate linear-Gaussian ELBO itself is the ``elbo`` family.

Seeds: 002 L159–322; 004 L2532–2613.
"""
