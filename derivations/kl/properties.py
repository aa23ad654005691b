r"""Properties of the KL divergence: Gibbs' inequality, asymmetry, CE = H + KL, MLE = forward KL.

Seeds: 000 L205–215 (MLE = argmin forward KL; E[−log p_θ] = KL + H); 002 L136–142 (the code
distribution pulled to the prior "by maximum likelihood"); 003 L1913–1919, L1977–1983 (KL ≥ 0,
= 0 iff p = q, asymmetric), L1935 (the asymmetry on a Bernoulli pair), L1955–1965, L1989
(cross-entropy = entropy + KL), L2040–2054 (MLE through the KL lens); 004 L1562 (asymmetric).
"""

from __future__ import annotations

import sympy
from sympy import Rational, log

from derivspec.core import Claim, Source, Step, Var, WrongVariant, claim, count_between, positive_between, target_of
from derivspec.core.claims import Recognise
from derivspec.core.lectures import S000, S002, S003, S004
from derivspec.derivations.kl.discrete import P, categorical_kl, cross_entropy, entropy, normalised, p, q
from derivspec.derivations.kl.gaussian import MU1, MU2, SIGMA1, SIGMA2, mu1, mu2, sigma1, sigma2

# --- Gibbs' inequality --------------------------------------------------------------------------


@claim("kl.gibbs")
def kl_gibbs() -> Claim:
    """argmin_q KL(Bern(p) ‖ Bern(q)) = p, where KL = 0 (Gibbs' inequality, equality iff q = p)."""
    return Claim(
        title="Gibbs: KL(p‖q) ≥ 0 with equality iff q = p (Bernoulli: the minimiser over q is p)",
        statement=r"\arg\min_q \mathrm{KL}(\mathrm{Bern}(p)\,\|\,\mathrm{Bern}(q))",
        variables=(P,),
        derivation=(
            Step("Bernoulli KL (claim kl.bernoulli)", target_of("kl.bernoulli")),
            Step(r"differentiate in q: -p/q + (1-p)/(1-q) = (q-p)/(q(1-q)); negative for q < p, positive for q > p, "
                 r"so the stationary point is the global minimum on (0, 1)",
                 (q - p) / (q * (1 - q)), op=lambda e: sympy.diff(e, q)),
            Step("solve for q: the minimiser is q = p, where KL(p||p) = 0 (so KL >= 0, equality iff q = p)",
                 p, op=lambda e: sympy.solve(e, q)[0]),
        ),
        wrong_variants=(
            WrongVariant("the complement", 1 - p),
            WrongVariant("uniform q", Rational(1, 2)),
        ),
        sources=(
            Source(S003, "1913–1919", r"1. \text{KL}(p\|q) \geq 0 for all p, q. ... 2. \text{KL}(p\|q) = 0 if and only if p = q everywhere.",
                   note="properties: checked through the minimiser q = p (KL = 0 there) and the sign of the derivative"),
            Source(S003, "1977–1983", r"-\text{KL}(p\|q) = \mathbb{E}_p \left[ \log \frac{q(Y)}{p(Y)} \right] \leq \log \mathbb{E}_p \left[ \frac{q(Y)}{p(Y)} \right] = ... = \log 1 = 0; Equality iff q(y)/p(y) is constant — i.e. p = q",
                   note="Jensen proof of KL >= 0: an inequality, checked here through its consequence, the minimiser q = p with KL = 0"),
            Source(S003, "2028", r"This asymmetric penalty is what makes cross-entropy a **proper scoring rule** — it rewards calibration",
                   expr=p, note="proper: the expected log loss E_{y~p}[−log q(y)] = H(p) + KL(p‖q) is minimised by reporting "
                                "q = p (this claim), so the calibrated forecast scores best"),
        ),
    )


# --- asymmetry ------------------------------------------------------------------------------


@claim("kl.asymmetry")
def kl_asymmetry() -> Claim:
    """KL(p‖q) − KL(q‖p) for univariate Gaussians: zero only when σ₁ = σ₂."""
    swap = {mu1: mu2, mu2: mu1, sigma1: sigma2, sigma2: sigma1}
    return Claim(
        title="KL is not symmetric: KL(p‖q) − KL(q‖p) for univariate Gaussians",
        statement=r"\mathrm{KL}(p\|q) - \mathrm{KL}(q\|p),\ p=\mathcal N(\mu_1,\sigma_1^2),\ q=\mathcal N(\mu_2,\sigma_2^2)",
        variables=(MU1, SIGMA1, MU2, SIGMA2),
        derivation=(
            Step("KL(p||q) (claim kl.gaussian.univariate)", target_of("kl.gaussian.univariate")),
            Step(r"minus KL(q||p): the same formula with (\mu_1, \sigma_1) and (\mu_2, \sigma_2) swapped",
                 log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - Rational(1, 2)
                 - (log(sigma1 / sigma2) + (sigma2**2 + (mu2 - mu1) ** 2) / (2 * sigma1**2) - Rational(1, 2)),
                 op=lambda e: e - e.subs(swap, simultaneous=True)),
            Step("simplify: zero only when sigma_1 = sigma_2 (then both equal (mu_1-mu_2)^2/(2 sigma^2))",
                 2 * log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2)
                 - (sigma2**2 + (mu1 - mu2) ** 2) / (2 * sigma1**2)),
        ),
        wrong_variants=(
            WrongVariant("symmetric (a metric)", sympy.Integer(0)),
            WrongVariant("only the log terms differ", 2 * log(sigma2 / sigma1)),
        ),
        sources=(
            Source(S003, "1915", r"3. **Asymmetric** · in general \text{KL}(p\|q) \neq \text{KL}(q\|p).",
                   note="the wrong variant 0 (symmetric) is rejected with a counterexample pair"),
            Source(S004, "1562", r"Asymmetric: D_{\text{KL}}(p\|q) \neq D_{\text{KL}}(q\|p)",
                   note="the wrong variant 0 (symmetric) is rejected with a counterexample pair"),
            Source(S003, "1935", r"\text{KL}(q \parallel p) = ... = 0.087 nats — close but **different**. KL is not a metric.",
                   nothing_to_compare=True, note="the asymmetry shown on a Bernoulli pair (0.082 vs 0.087, both checked under kl.bernoulli)"),
        ),
    )


# --- cross-entropy = entropy + KL -------------------------------------------------------------

A4 = tuple(Var(f"a{k}", f"a_{k}", positive_between(0.2, 3)) for k in (1, 2, 3, 4))
B4 = tuple(Var(f"b{k}", f"b_{k}", positive_between(0.2, 3)) for k in (1, 2, 3, 4))
a4, b4 = [w.symbol for w in A4], [w.symbol for w in B4]
WORKED_003_1955 = dict(zip(("a1", "a2", "a3", "a4", "b1", "b2", "b3", "b4"),
                           map(Rational, ("0.5", "0.25", "0.125", "0.125", "0.125", "0.125", "0.25", "0.5"))))


@claim("kl.cross-entropy")
def kl_cross_entropy() -> Claim:
    """H(p,q) − H(p) = KL(p‖q): add and subtract E_p[log p] (4 classes)."""
    ps, qs = normalised(a4), normalised(b4)
    # the named terms of a lecture's identity, for `derivspec scan` (a general identity holds here)
    CE_TERMS = {r"H(p)": entropy(ps), r"H(q)": entropy(qs), r"\mathrm{KL}(p \| q)": categorical_kl(ps, qs),
                r"\mathrm{KL}(q \| p)": categorical_kl(qs, ps), r"H(q, p)": cross_entropy(qs, ps),
                r"H(p, q)": cross_entropy(ps, qs)}
    return Claim(
        title="Cross-entropy = entropy + KL (4 classes; probabilities from positive weights)",
        recognise=(
            Recognise(r"H(p, q)", value=lambda t: t + entropy(ps), interpret=CE_TERMS),
            Recognise(r"\mathrm{CE}(p, q)", value=lambda t: t + entropy(ps), interpret=CE_TERMS),
            Recognise(r"H(p, q) - H(p)", interpret=CE_TERMS),
        ),
        statement=r"H(p, q) - H(p),\ p_k = a_k/\textstyle\sum a,\ q_k = b_k/\sum b",
        variables=A4 + B4,
        derivation=(
            Step(r"definitions: H(p,q) = -\mathbb E_p[\log q], H(p) = -\mathbb E_p[\log p]; their difference",
                 cross_entropy(ps, qs) - entropy(ps)),
            Step(r"linearity of expectation: \mathbb E_p[\log p - \log q] = \mathrm{KL}(p\|q) (so H(p,q) = H(p) + KL(p||q))",
                 categorical_kl(ps, qs)),
        ),
        wrong_variants=(
            WrongVariant("H(p,q) - H(q)", cross_entropy(ps, qs) - entropy(qs)),
            WrongVariant("KL(q||p)", categorical_kl(qs, ps)),
        ),
        sources=(
            Source(S003, "1989", r"H(p, q) := -\mathbb{E}_p[\log q(Y)] = -\mathbb{E}_p[\log p(Y)] + \mathbb{E}_p\left[\log \frac{p(Y)}{q(Y)}\right] = H(p) + \text{KL}(p||q)",
                   expr=categorical_kl(ps, qs), note="read as H(p, q) - H(p) = KL(p||q)"),
            Source(S000, "211–215", r"\mathbb E_{p_{\text{data}}}[-\log p(x\mid\theta)] = \mathrm{KL}\big(p_{\text{data}}(x) \,\|\, p(x\mid \theta)\big) + H(p_{\text{data}})",
                   expr=categorical_kl(ps, qs), note="read as E_p[-log q] - H(p) = KL(p||q), with 4 classes"),
            Source(S002, "136–142", r"Minimize the KL divergence between the distribution of z and the standard Gaussian \mathcal N(0, I) — By Maximum Likelihood, minimize the negative log likelihood of z as computed from a standard Gaussian.",
                   expr=cross_entropy(ps, qs), relation="offset", free_of=("a1", "a2", "a3", "a4"),
                   correct=r"E_p[-\log q] = \mathrm{KL}(p\|q) + H(p): the NLL of the codes under the prior is the cross-entropy; "
                           r"H(p) changes with the encoder, so minimising it is not minimising the KL",
                   note="p plays the code distribution q(z) being optimised and q the fixed prior: the source says the NLL of z "
                        "under the prior, E_p[-log q] = H(p, q), equals KL(p||q) up to a constant in p; the offset is -H(p)"),
            Source(S003, "1955–1965", r"p = (0.5, 0.25, 0.125, 0.125), q = (0.125, 0.125, 0.25, 0.5): \text{KL}(p \parallel q) = H(p, q) - H(p) = 2.625 - 1.75 = \mathbf{0.875} bits",
                   value=0.875, decimals=3, unit="bits", at=WORKED_003_1955),
            Source(S003, "1786", r"This is the **per-sample log-loss** in disguise. Cross-entropy is just the *average* of these surprises.",
                   expr=cross_entropy(ps, qs), to_target=lambda average_surprise: average_surprise - entropy(ps),
                   note="the average surprise under q of draws from p, −Σ_k p_k log q_k, is the cross-entropy; compared as "
                        "H(p, q) − H(p) with this claim (4 classes)"),
        ),
    )


# --- MLE minimises the forward KL -------------------------------------------------------------

COUNTS = tuple(Var(f"n{k}", f"n_{k}", count_between(1, 8)) for k in (1, 2, 3))
MODEL = tuple(Var(f"b{k}", f"b_{k}", positive_between(0.2, 3)) for k in (1, 2, 3))
counts, model = [w.symbol for w in COUNTS], [w.symbol for w in MODEL]


@claim("kl.mle-forward")
def kl_mle_forward() -> Claim:
    """mean NLL − KL(p̂‖p_θ) = H(p̂), free of θ: MLE = argmin forward KL."""
    p_hat, q_theta = normalised(counts), normalised(model)
    return Claim(
        title="MLE minimises the forward KL: mean NLL − KL(p̂‖p_θ) = H(p̂), free of θ",
        statement=r"\frac1N\sum_i -\log p_\theta(y_i) - \mathrm{KL}(\hat p\,\|\,p_\theta),\ \hat p_k = n_k/N,\ p_\theta = b/\textstyle\sum b",
        variables=COUNTS + MODEL,
        derivation=(
            Step(r"average NLL of N = \sum n_k observations with n_k of class k: "
                 r"\frac1N\sum_i -\log q(y_i) = -\sum_k \hat p_k \log q_k, \hat p_k = n_k/N",
                 cross_entropy(p_hat, q_theta)),
            Step(r"subtract \mathrm{KL}(\hat p\|q) = \sum_k \hat p_k\log(\hat p_k/q_k): the q terms cancel",
                 entropy(p_hat), op=lambda e: e - categorical_kl(p_hat, q_theta)),
        ),
        wrong_variants=(
            WrongVariant("E[log p_data] taken as the entropy (sign)", -entropy(p_hat)),
            WrongVariant("reverse KL subtracted", cross_entropy(p_hat, q_theta) - categorical_kl(q_theta, p_hat)),
        ),
        sources=(
            Source(S003, "2050–2054", r"\arg \max_{\theta} \ell(\theta) = \arg \min_{\theta} H(\hat{p}_{\text{data}}, p_{\theta}) = \arg \min_{\theta} \text{KL}(\hat{p}_{\text{data}} || p_{\theta})",
                   note="an argmin statement; it follows because the difference (this claim's target) is free of θ"),
            Source(S000, "205–208", r"\hat \theta_{\text{MLE}} = \arg \min_\theta \mathrm{KL}\big(p_{\text{data}}(x) \,\|\, p(x\mid \theta)\big)",
                   note="an argmin statement; it follows because the difference (this claim's target) is free of θ"),
            Source(S003, "2040–2044", r"\frac{1}{N} \ell(\theta) = \frac{1}{N} \sum_{i=1}^N \log p_{\theta}(y_i) = \mathbb{E}_{Y \sim \hat{p}_{\text{data}}} [\log p_{\theta}(Y)]",
                   note="the first step of the derivation (average NLL as an expectation under the empirical distribution)"),
            Source(S003, "2058", r"Every classifier you've trained with cross-entropy has been silently minimizing this KL — to the one-hot empirical distribution of class labels.",
                   note="an argmin statement; it follows because the difference (this claim's target) is free of θ; with one "
                        "label per input the empirical conditional is one-hot, H = 0, and the cross-entropy is the KL"),
        ),
    )
