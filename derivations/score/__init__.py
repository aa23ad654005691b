r"""Score matching, denoising score matching, Langevin sampling, the SDE view, guidance and latent
diffusion: the lectures' material beyond the DDPM closed forms (family ``score``).

The score of a density is s(x) = ∇ₓ log p(x). Each claim is derived from a definition (a density,
an expectation, Bayes' rule, integration by parts, a Fokker–Planck equation); the small fixed case
(1-D, a Gaussian or a two-component mixture, one step) is symbolic, larger cases are numeric
(``reference_models/score_models.py``, ``samplers.py``, ``latent_diffusion.py``):

* ``matching`` -- the score needs no normaliser (∇ₓ log Z = 0); Hyvärinen's identity
  E_p[½ s² + ∂ₓ s] = ½ E_p[(s − ∂ₓ log p)²] − ½ E_p[(∂ₓ log p)²] by integration by parts, and its
  minimiser over Gaussian scores is the data's score;
* ``denoising`` -- the conditional score of q(x_t | x_0); the minimiser of denoising score matching
  is the *marginal* score ∇ log q_t (the conditional one is only its regression target);
  Vincent's identity DSM = ESM + C; DSM with λ(t) = 1 − ᾱ_t is the noise regression ‖ε − ε_θ‖²; the
  per-example loss with the variance-exploding kernel and λ(σ) = σ², ‖σ s_θ + z‖² (any dimension);
* ``langevin`` -- the unadjusted Langevin step and its stationary variance σ²/(1 − η/(4σ²)) on
  N(0, σ²) (biased for η > 0), annealed Langevin;
* ``sde`` -- the VP-SDE (DDPM's continuous limit), the reverse-time drift f − g²∇log p_t and the
  probability-flow velocity f − ½g²∇log p_t, each from a Fokker–Planck / continuity equation; the VE-SDE's
  marginal N(x_0, σ²(t) − σ²(0)) from its variance ODE;
* ``guidance`` -- the score of p(x|c)^γ p(x)^{1−γ}, classifier-free guidance in ε form, its effect on a
  Gaussian (mean shift, variance shrink), classifier guidance by Bayes' rule;
* ``latent`` -- noising commutes with an orthonormal linear encoder, and the per-pass cost ratio.

Seeds: 001 L165–240, L314–323; 002 L516–557; 003 L168; 004 L1147–1151, L1690–1696, L3262–3760,
L3862–3907, L3973.
"""
