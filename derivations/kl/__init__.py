r"""KL divergence: closed forms from the definition, Gibbs, CE = H + KL, MLE = forward KL.

Every closed form is derived from :math:`\mathrm{KL}(p\|q) = \mathbb E_p[\log p - \log q]`:
expand the log-ratio, then take the expectation under p with p's moments (continuous) or
by summing over the support (discrete). Seeds: 000 L196–222 (KL(p_data‖p_θ), MLE = forward
KL), 002 (VAE regulariser), 003 L1925–2075 (KL worked examples, Gibbs, CE = H + KL,
MLE through the KL lens), 004 (Gaussian KL in the VAE).

Modules: ``gaussian`` (univariate, to N(0, 1), full covariance and diagonal for d = 2),
``vae`` (the VAE regulariser), ``discrete`` (Bernoulli, categorical, entropy), ``properties``
(Gibbs, asymmetry, cross-entropy = entropy + KL, MLE = forward KL), ``fits`` (forward vs
reverse KL fits of one Gaussian to two modes; the behaviour checks are in ``numerics/kl.py``),
``estimators`` (Schulman's per-sample estimators k1, k2, k3 of KL(q ‖ p) from draws x ~ q, as PPO and TRL
use them; their means are checked by ``numerics/kl_estimators.py``).
"""
