r"""Priors → regularisers: MAP with a Gaussian prior is L2 (ridge), a Laplace prior is L1 (lasso).

Bayes' rule gives the negative log posterior
:math:`-\log p(\theta\mid D) = -\log p(D\mid\theta) - \log p(\theta) + \log p(D)`. Each λ claim
writes it from the densities (Gaussian likelihood from ``nll.gaussian``, prior from
``sympy.stats``), drops the θ-free terms explicitly (log p(D) and the normalisers), rescales
by a positive factor (the argmin does not move) and reads off λ in one of three conventions:

* SSE: Σᵢ(yᵢ − θxᵢ)² + λ·penalty (DESIGN.md's ``map.*`` targets);
* NLL: the NLL Σᵢ(yᵢ − θxᵢ)²/(2σ²) + λ·penalty (how 003 writes L_MAP);
* mean: (1/N)Σᵢ(yᵢ − θxᵢ)² + λ·penalty (MSE).

Modules: ``priors`` (λ of the Gaussian and Laplace priors, in the three conventions),
``solutions`` (the ridge and lasso solutions of one feature, weight decay, MAP → MLE as the
prior flattens), ``coin`` (the Beta–Bernoulli MAP of a coin).

Seeds: 000 L230–240 (Bayes, MAP), 002 L143 (penalised autoencoder), 003 L123–130, L992–1104,
L1560–1714 (MAP, L2, L1, weight decay, the coin, worked numbers).
"""
