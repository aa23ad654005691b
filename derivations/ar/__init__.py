r"""Autoregressive models: the chain rule, teacher forcing, perplexity, parameter counts, sampling.

Modules: ``chain_rule`` (p(x) = ∏ p(x_t | x_{<t}) from the definition of conditional probability;
ancestral sampling draws from the joint), ``likelihood`` (sequence NLL = Σ token cross-entropy
under teacher forcing, perplexity = exp(mean token NLL), bits per token), ``parameters`` (full
table 2^d − 1, FVSBN d(d+1)/2, NADE 2dH + d + H, MADE, MADE's masks), ``sampling`` (temperature,
top-k and nucleus sampling as renormalisations of the next-token distribution).

General results (any T, any d) are derived in a small fixed case (T = 3 binary variables, two
tokens, three classes) or with a symbolic count d, and checked at larger sizes numerically with
the reference models of reference_models/autoregressive.py.

Seeds: 001 L38–42, L136–150, L245–290, L325–335; 002 L504–505; 003 L764–767, L1833, L1857;
004 L420–424, L773–781, L1034–1040, L1174–1202, L1250, L2364–2494 (§7), L4140–4154.
"""
