r"""DDPM: the forward process, its schedule, the reverse posterior, the ε-parameterisation, the loss
weight and the ELBO as a chain of KLs.

Forward kernel q(x_t | x_{t−1}) = N(√α_t x_{t−1}, β_t), β_t = 1 − α_t, ᾱ_t = α_t ᾱ_{t−1} with
ᾱ_0 = 1 (Ho et al. 2020). Each claim is derived, not typed in:

* ``forward`` -- the marginal q(x_t | x_0) by induction (mean √ᾱ_t x_0, variance 1 − ᾱ_t) and by
  unrolling three steps with every β_s symbolic; the jump as code writes it, x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε
  for a given ε (diffusers' ``add_noise``);
* ``schedule`` -- ᾱ_T = Π(1 − β_t) from the one-step definition, and "x_T ≈ N(0, I)" evaluated
  per noise schedule (it holds for the linear and cosine schedules of the lectures, and fails for
  schedules with too little total noise);
* ``posterior`` -- q(x_{t−1} | x_t, x_0) by Bayes' rule and completing the square, and its mean
  written with the noise ε;
* ``loss`` -- the KL to a reverse step with the posterior's variance as a weighted ‖ε − ε_θ‖²,
  and Tweedie's formula for the MSE-optimal ε-predictor;
* ``elbo`` -- the ELBO of the linear-Gaussian chain (T = 3, every parameter symbolic) as
  reconstruction − Σ KL(q(x_{t−1}|x_t,x_0) ‖ p(x_{t−1}|x_t)) − KL(q(x_T|x_0) ‖ p(x_T)), with
  larger T checked numerically by the reference chain (``reference_models/linear_gaussian_chain.py``);
* ``parameterisation`` (issue 11) -- conversions between the ε-, x₀-, v- and score-parameterisations and the
  optimal denoiser (Tweedie's E[x₀|x_t]);
* ``reverse`` (issue 11) -- the reverse posterior conditions on x₀ (Bayes + Markov), and the x₀-free kernel
  q(x_{t−1}|x_t) is a different, wider object;
* ``ddim`` (issue 11) -- the DDIM kernels: η = 1 is DDPM's β̃_t, σ_t(η), the marginals kept for every η
  (samplers in ``reference_models/samplers.py``), and the update's mean for any η (issue 87); ``schedule`` also
  holds the cosine schedule's β_t and the index convention of the cumulative product;
* ``snr`` (issue 87) -- the signal-to-noise ratio ᾱ_t/(1 − ᾱ_t) and the min-SNR-γ loss weight for
  ε-prediction, min(SNR, γ)/SNR.

Seeds: 002 (diffusion as an HVAE, L409–444, L536–544), 003 (L2163–2169), 004 (forward process,
posterior, training objective, L3362–3436); issue 11: 002 L384–557, 003 L549–551, 004 L3362–3504.
"""
