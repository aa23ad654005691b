r"""Negative log-likelihoods: Gaussian → MSE, Bernoulli → BCE, Categorical → cross-entropy.

"Every loss = NLL under an assumed conditional distribution" (003, L1482–1489). Each claim
starts from a density or pmf (``sympy.stats`` where it has one), takes minus the log, and
rewrites line by line; SymPy checks every line against the one before.

Modules: ``gaussian`` (−log N, its MSE scale, the cross-entropy under Gaussian data),
``bernoulli`` (BCE, with logits), ``categorical`` (softmax cross-entropy), ``gradients`` (of the
three losses), ``least_squares`` (the worked one-feature OLS example of seed 003).

Seeds: 000 (MLE ⇒ MSE, L248–256, L393–421), 001 (softmax CE, L104–120), 002 (Gaussian
decoder likelihood, L221–236, L261–262, L312–322), 003 (linear, logistic and softmax
regression, L84–142, L268–275, L1250–1499).
"""
