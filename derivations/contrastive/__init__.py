r"""Contrastive and cross-entropy objectives (seed 001 §2–3, 000's CLIP case study).

Modules: ``infonce`` (InfoNCE as the softmax cross-entropy of a similarity row — it starts from
``nll.categorical`` — its gradient, its value at uniform similarities and its temperature
limits), ``clip`` (the symmetric CLIP loss), ``mutual_information`` (the Gaussian mutual
information, the optimal critic log p(y|x)/p(y) + c(x), the InfoNCE bound with that critic),
``cross_entropy`` (conditional CE = E_x KL + H(Y|X), label smoothing in both conventions and
its minimiser).

Seeds: 000 L357–390, L504–520 (CLIP as a categorical over the batch), L289–299, L451 (CE learns
the conditional); 001 L17–161, L292–384 (InfoNCE, CE, their comparison); 003 L1883–1891 (mutual
information, contrastive bounds); 004 L3821–3825 (CLIP's objective).
"""
