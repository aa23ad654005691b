r"""Estimation: maximum likelihood for the Gaussian, Bernoulli and categorical families, the
Gaussian's density, interval masses and entropy, MLE as forward-KL minimisation, and
generative classifiers (LDA/QDA and naive Bayes) inverted by Bayes' rule.

Modules:

* ``gaussian`` -- the MLEs of μ and σ² (three observations, derived; any n checked numerically),
  the bias E[σ̂²] = (n−1)σ²/n (n = 3 derived), the density written out, the mass within kσ of the
  mean, the differential entropy ½ log(2πeσ²), and of a diagonal Gaussian Σ_d (½ log 2πe + log σ_d)
  (D = 2 derived, any D by its general form);
* ``bernoulli`` -- the likelihood p^h(1−p)^t of a coin sequence, its MLE h/(h+t), the variance
  p(1−p) and the Fisher information 1/(p(1−p)) (with the asymptotic behaviour of the MLE run as
  behaviour checks);
* ``categorical`` -- the MLE of a three-class categorical, n_k/N;
* ``kl`` -- MLE = argmin KL(p_data ‖ p_θ) for the Gaussian family: the expected NLL minus the
  KL is the entropy of p_data, free of θ;
* ``classifiers`` -- the two-class Gaussian posterior is a logistic function of a quadratic
  (QDA), linear with a shared variance (LDA); naive Bayes' log-odds are a sum over features.

Seeds: 000 L136–143, L183–188, L225; 003 L225–297, L362–413, L801–832, L1187–1212, L1561–1565,
L1865–1875; 004 L717–763, L817–854, L1597–1626, L1708.
"""
