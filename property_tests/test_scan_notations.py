r"""Each family's known results recognised in notations the claims are not written in (issue 25).

For every family with a recogniser: (a) a statement in a notation written here (other letters, fonts,
labels), proved; and, where a development document (benchmarks/scan_corpus/split.toml, half
"development", and /work/shared/corpus) states a recognised result, (b) a statement written here in
that document's symbols, proved, and (c) a wrong variant of it, flagged ``disagrees``. Every record
names the expected claim, and says how it read the renamed names ("reading u as \mu, v as \sigma^2").
The statements are written for these tests; the comments cite where a notation was seen.

Families and the development documents (searched with ``git grep`` at the pinned commits):

| family      | development document                                                                 |
|-------------|--------------------------------------------------------------------------------------|
| ar          | shared/corpus/d2l/information-theory.md:705 (character perplexity of a word, \textrm{PPL}) |
| contrastive | no development document states it; searched: I(X;Y), I(X, Y), \rho (Takeshi prelim review,    |
|             | d2l information-theory write MI only in general: Takeshi part 1:26's double sum in bits |
|             | is a definition, compared by scan/conventions, not a claim; test_scan_definition_sums)  |
|             | Takeshi part 1:22's I(X;Y) = E(X) - E(X|Y), E the entropy by declaration: a definition |
|             | (test_scan_information_vectors)                                                      |
| ddpm        | no development document states it; searched: \bar\alpha, diffusion, q(x_t (cs231n assignment    |
|             | pages name DDPM only in prose)                                                       |
| divergence  | cs231n/cs231n.github.io generative-modeling.md:242-244 (Inception Score)              |
| elbo        | cs231n/cs231n.github.io generative-models.md:140; vitutorial/VITutorial M1_Basics.tex:378 |
| estimation  | gwgundersen/gwgundersen.github.io _orf525/20170207_lecture1.md:237 (the variance MLE in  |
|             | moment form, \hat{\sigma^2}, items X_i; its own paragraph does not say maximum         |
|             | likelihood -- the heading two list levels up does --, so scan leaves it unchecked there)|
|             | shared/corpus/d2l/maximum-likelihood.md:37 (the coin's P(X \mid \theta) = \theta^{n_H}(1-\theta)^{n_T};|
|             | the estimate n_H/(n_H + n_T) checked against the likelihood the document wrote)       |
| flow        | vitutorial/VITutorial ExplainingReparametrisationGradients.tex:57 (change of variables,|
|             | q(z;\lambda) = \phi(h(z;\lambda))\abs{\det J_{h(z;\lambda)}}); Hutchinson, tr: none      |
| gan         | no development document states it; searched: D^*, p_{data}, p_g (cs231n, Takeshi state the      |
|             | value function only)                                                                 |
| kl          | shared/corpus/d2l/information-theory.md:550 (CE = H + KL); vitutorial/VITutorial      |
|             | M3a_DGMs_ContinuousLatentVariables.tex:767 (KL to the standard normal), :478 (its sum over |
|             | the N latent dimensions, kl.vae-regulariser); Takeshi part 1:30's                    |
|             | D(p || q) = \sum_x p(x) \ln(p(x)/q(x)) is a definition (scan/conventions), not a claim   |
|             | Takeshi GAN post (2017-03-05):53's H(p,q) := -\sum_i p_i \log q_i (probability vectors) |
|             | is a definition too: test_scan_information_vectors                                   |
| latent      | no development document states it; searched: responsibility, \gamma(z, factor analysis          |
| map         | no development document states it; searched: MAP, Beta, \alpha - 1                   |
| nll         | cs231n/cs231n.github.io neural-networks-case-study.md:142 (the softmax cross-entropy gradient|
|             | by a score, with an indicator label); the NLL shapes: none (d2l linear-regression.md:599  |
|             | writes -\log P(y \mid X) with the density given apart)                                  |
| sampling    | no development document states it; searched: importance weight (timvieira's is E_q[p/q f] = E_p[f],|
|             | not the evidence), Var of a mean, Gibbs                                              |
| score       | no development document states it; searched: \nabla_x \log, score                    |
| vae         | vitutorial/VITutorial M6_ADVI.tex:255-258 (Z \sim \mu + \sigma\epsilon after "if           |
|             | \epsilon \sim \mathcal N(0, I) and Z \sim \mathcal N(\mu, \sigma^2)"); M3a:428 writes          |
|             | h^{-1}(\epsilon, \lambda) = \mu(\phi,\lambda) + \sigma(\phi,\lambda) \odot \epsilon (its left side   |
|             | a function: tested in test_scan_reparameterised.py with z on the left)              |
| ddpm (sample) | no development document writes a forward sample x_t = ...; searched: \bar\alpha, x_t =, diffusion |
"""

from __future__ import annotations

import pytest

from derivspec.core.catalogue import recognisable_claims
from derivspec.scan import scan_file

# The \KL macro as VITutorial's package (vimacros.sty:38) spells it, written here.
VI_MACROS = "\\newcommand{\\KL}[2]{\\mathrm{KL}\\left(#1\\mid\\mid #2\\right)}\n\\DeclareMathOperator{\\ELBO}{ELBO}\n"

# (a) family -> (claim, statement in a notation of our own, names it must say it read as the claim's)
OWN = {
    "ar": ("ar.perplexity",  # at the lecture's own count of tokens (derivspec/scan/sizes.py)
           r"\mathrm{PPL}(w_{1:L}) = \exp\left(-\frac{1}{L}\sum_{l=1}^{L}\log q(w_l \mid w_{<l})\right)",
           ["L items q_l"]),
    "contrastive": ("contrastive.mi.gaussian", r"I(U; V) = \frac12\log\frac{1}{1-\rho^2}", ["U as X", "V as Y"]),
    "ddpm": ("ddpm.marginal.mean", r"\mathbb E[\mathbf z_t \mid \mathbf z_0] = \sqrt{\bar\alpha_t}\,\mathbf z_0",
             [r"\mathbf{z}_{0} as x_0"]),
    "divergence": ("divergence.f.js",
                   r"\mathrm{JSD}(A \| B) = \frac12 \mathrm{KL}(A \| M) + \frac12\mathrm{KL}(B \| M)",
                   ["A as P", "B as Q"]),
    "elbo": ("elbo.gap", r"\log p(\mathbf y) - \mathrm{ELBO} = D_{\mathrm{KL}}(q(\mathbf h \mid \mathbf y) \,\|\, "
                         r"p(\mathbf h \mid \mathbf y))", [r"\mathbf{y} as x"]),
    "estimation": ("estimation.gaussian.entropy", r"h(\mathcal N(m, s^2)) = \frac12\log(2\pi e s^2)",
                   [r"m as \mu", r"s as \sigma"]),
    "flow": ("flow.hutchinson.unbiased", r"\mathbb{E}_{u}[u^\top C u] = \mathrm{tr}(C)", []),
    "gan": ("gan.discriminator.optimal",
            r"D^*(u) = \frac{p_{\mathrm{data}}(u)}{p_{\mathrm{data}}(u) + p_g(u)}", ["u as x"]),
    "kl": ("kl.cross-entropy", r"H(\rho, r) = H(\rho) + \mathrm{KL}(\rho \| r)", [r"\rho as p", "r as q"]),
    "latent": ("latent.mixture.variance",
               r"\mathrm{Var}[y] = \alpha s_1^2 + (1-\alpha) s_2^2 + \alpha(1-\alpha)(\mu_1 - \mu_2)^2", ["y as x"]),
    "map": ("map.beta-bernoulli.posterior-mean", r"\mathbb E[p \mid h, t] = \frac{h + \alpha}{h + t + \alpha + \beta}",
            [r"p as \theta"]),
    "nll": ("nll.gaussian", r"-\log \mathcal N(u; m, s^2) = \frac{(u-m)^2}{2s^2} + \log s + \text{const}",
            [r"m as \mu", r"s as \sigma", "u as y"]),
    "sampling": ("sampling.gibbs.conditional-mean",
                 r"\mathbb E[y_1 \mid y_2] = \mu_1 + \frac{\rho s_1}{s_2}(y_2 - \mu_2)",
                 ["y_{1} as x_{1}", "y_{2} as x_2"]),
    # the claims' own letters are required on the other side here (x_0, z_1): a font of our own
    "score": ("score.dsm.conditional", r"\nabla_{\mathbf{x}_t} \log q(\mathbf{x}_t \mid \mathbf{x}_0) = "
                                       r"\frac{\sqrt{\bar\alpha_t}\,\mathbf x_0 - \mathbf x_t}{1 - \bar\alpha_t}", []),
    "vae": ("vae.prior.nll", r"-\log \mathcal{N}(\boldsymbol z; 0, \mathbf I) = \frac{z_1^2 + z_2^2}{2} + \ln 2\pi",
            []),
}

# (b), (c): (family, claim, where the notation is used, preamble, proved, wrong, read-as names,
#            names the correct form must use)
DEV = [
    # shared/corpus/d2l/information-theory.md:550 -- cross-entropy of P and Q as \textrm{CE}, D_{\textrm{KL}}(P\|Q)
    ("kl", "kl.cross-entropy", "d2l information-theory.md:550", "",
     r"\textrm{CE}(P, Q) = D_{\textrm{KL}}(P\|Q) + H(P)",
     r"\textrm{CE}(P, Q) = D_{\textrm{KL}}(P\|Q) + H(Q)", ["P as p", "Q as q"], []),
    # vitutorial/VITutorial@79d6cf4075ed
    # modules/M3a_DGMs_ContinuousLatentVariables/M3a_DGMs_ContinuousLatentVariables.tex:767 --
    # \KL{\mathcal N(z|u, s^2)}{\mathcal N(z|0, I)}: the normal written with its variable after a bar, mean u, scale s
    ("kl", "kl.gaussian.standard", "VITutorial M3a:767", VI_MACROS,
     r"\KL{\mathcal N(z|u, s^2)}{\mathcal N(z|0, 1)} = \frac{1}{2}\left(u^2 + s^2 - 1 - \log s^2\right)",
     r"\KL{\mathcal N(z|u, s^2)}{\mathcal N(z|0, 1)} = \frac{1}{2}\left(u^2 + s^2 - 1 - \log s\right)",
     [r"u as \mu", r"s as \sigma"], ["u", "s"]),
    # vitutorial/VITutorial@79d6cf4075ed
    # modules/M3a_DGMs_ContinuousLatentVariables/M3a_DGMs_ContinuousLatentVariables.tex:478-481 --
    # -\KL{q(z|x,\lambda)}{p(z)} as \frac12\sum_{i=1}^{N}(1 + \loga{\sigma^{2}_{i}} - \mu^{2}_{i} - \sigma^{2}_{i}):
    # the sum over N latent dimensions, index i (\loga written \log)
    ("kl", "kl.vae-regulariser", "VITutorial M3a:478", VI_MACROS + r"The encoder is $q(z|x,\lambda) = \mathcal "
     r"N(z|\mu, \mathrm{diag}(\sigma^2))$ with the standard normal prior $p(z)$." "\n\n",
     r"-\KL{q(z|x,\lambda)}{p(z)} = \frac{1}{2}\sum_{i=1}^{N}\left(1 + \log{\sigma^{2}_{i}} - \mu^{2}_{i} - "
     r"\sigma^{2}_{i}\right)",
     r"-\KL{q(z|x,\lambda)}{p(z)} = \frac{1}{2}\sum_{i=1}^{N}\left(1 + \log{\sigma_{i}} - \mu^{2}_{i} - "
     r"\sigma^{2}_{i}\right)",
     [r"\mu_i the coordinates of the mean", r"\sigma_i of the standard deviation"], [r"\sigma_i", "N"]),
    # cs231n/cs231n.github.io@3d84654b1460 generative-models.md:140 -- \log p_\theta(x^{(i)}), \mathbb{E}_z,
    # D_{\mathrm{KL}}
    # with q_\phi(z \mid x^{(i)}), p_\theta(z), \parallel
    ("elbo", "elbo.gap", "cs231n generative-models.md:140", "",
     r"\log p_{\theta}(x^{(i)}) = \mathbb{E}_{z}\left[\log p_{\theta}(x^{(i)} \mid z)\right]"
     r" + D_{\mathrm{KL}}(q_{\phi}(z \mid x^{(i)}) \parallel p_{\theta}(z \mid x^{(i)}))"
     r" - D_{\mathrm{KL}}(q_{\phi}(z \mid x^{(i)}) \parallel p_{\theta}(z))",
     r"\log p_{\theta}(x^{(i)}) = \mathbb{E}_{z}\left[\log p_{\theta}(x^{(i)} \mid z)\right]"
     r" - D_{\mathrm{KL}}(q_{\phi}(z \mid x^{(i)}) \parallel p_{\theta}(z \mid x^{(i)}))"
     r" - D_{\mathrm{KL}}(q_{\phi}(z \mid x^{(i)}) \parallel p_{\theta}(z))",
     ["x^{(i)} as x"], []),
    # vitutorial/VITutorial@79d6cf4075ed modules/M1_Basics/M1_Basics.tex:378 -- \KL{q(z)}{p(z|x)}, q written without x
    ("elbo", "elbo.gap", "VITutorial M1_Basics.tex:378", VI_MACROS,
     r"\log p(x) - \ELBO = \KL{q(z)}{p(z|x)}",
     r"\log p(x) - \ELBO = \KL{p(z|x)}{q(z)}", [], []),
    # vitutorial/VITutorial@79d6cf4075ed modules/M3a_DGMs_ContinuousLatentVariables/
    # ExplainingReparametrisationGradients.tex:57 -- q(z;\lambda), the standard density \phi, the map h(z; \lambda) and
    # its Jacobian J_{h(z; \lambda)} (\abs as vimacros.sty:86 defines it)
    ("flow", "flow.change-of-variables.density", "VITutorial ExplainingReparametrisationGradients.tex:57", "",
     r"q(z;\lambda) = \phi(h(z; \lambda))\abs{\det J_{h(z; \lambda)}}",
     r"q(z;\lambda) = \phi(h(z; \lambda))\abs{\det J_{h(z; \lambda)}}^{-1}",
     ["q as the density of A", r"\phi of B", r"the map h from z to h(z;\lambda)"], [r"\phi(h(z;\lambda))", "J_"]),
    # gwgundersen/gwgundersen.github.io@b9384e3b0d06 _orf525/20170207_lecture1.md:237 -- \hat{\sigma^2} (the hat over
    # the power), items X_i, the moment form \frac{1}{n} \sum X_i^2 - (\frac{1}{n} \sum X_i)^2; the words "maximum
    # likelihood" put in the paragraph here (the claim is compared only where the text says so)
    ("estimation", "estimation.gaussian.variance", "gwgundersen orf525 lecture1.md:237",
     "The maximum likelihood estimate of the variance is\n",
     r"\hat{\sigma^2} = \frac{1}{n} \sum_{i=1}^{n} X_i^2 - (\frac{1}{n} \sum_{i=1}^{n} X_i)^2",
     r"\hat{\sigma^2} = \frac{1}{n-1} \sum_{i=1}^{n} X_i^2 - (\frac{1}{n} \sum_{i=1}^{n} X_i)^2",
     ["n items X_i"], ["X_i", r"\bar X"]),
    # shared/corpus/d2l/maximum-likelihood.md:31-37, :146 -- the coin's likelihood P(X \mid \theta) = \theta^{n_H}
    # (1-\theta)^{n_T} with counts n_H, n_T, and the estimate n_H / (n_H + n_T) (d2l gives it in code); the estimate is
    # judged against the likelihood the document wrote (scan/likelihood_optimum.py)
    ("estimation", "estimation.bernoulli.mle", "d2l maximum-likelihood.md:37",
     "With $n_H$ heads and $n_T$ tails the likelihood is\n\n$$P(X \\mid \\theta) = \\theta^{n_H}(1-\\theta)^{n_T}$$"
     "\n\nMaximizing the likelihood, the maximum likelihood estimate is\n",
     r"\hat\theta = \frac{n_H}{n_H + n_T}",
     r"\hat\theta = \frac{n_T}{n_H + n_T}",
     [r"\theta as the parameter"], [r"\frac{n_H}{n_H + n_T}"]),
    # shared/corpus/d2l/information-theory.md:705 -- \textrm{PPL}(\textrm{word}), the items \textrm{character}_i (a word
    # with the sum's index), the length l; d2l writes \prod_i without bounds, the bounds 1..l are written here
    ("ar", "ar.perplexity", "d2l information-theory.md:705", "",
     r"\textrm{PPL}(\textrm{word}) = \left[\prod_{i=1}^{l} p(\textrm{character}_i)\right]^{-\frac{1}{l}}",
     r"\textrm{PPL}(\textrm{word}) = \left[\prod_{i=1}^{l} p(\textrm{character}_i)\right]^{\frac{1}{l}}",
     ["l items p_i"], [r"\frac{1}{l}"]),
    # cs231n/cs231n.github.io@3d84654b1460 neural-networks-case-study.md:136-142 -- scores f_k, probabilities
    # p_k = e^{f_k} / \sum_j e^{f_j}, the loss L_i = -\log p_{y_i}, the gradient by f_k with an indicator label
    ("nll", "nll.grad.softmax.soft-label", "cs231n neural-networks-case-study.md:142",
     "The loss of one example is the cross-entropy of the softmax of the scores,\n\n"
     "$$p_k = \\frac{e^{f_k}}{\\sum_j e^{f_j}} \\qquad L_i = -\\log(p_{y_i})$$\n\nand its gradient is\n",
     r"\frac{\partial L_i}{\partial f_k} = p_k - \mathbb{1}(y_i = k)",
     r"\frac{\partial L_i}{\partial f_k} = \mathbb{1}(y_i = k) - p_k",
     ["f as the logits h", r"p_{k} as \pi"], ["p_{k}", r"\mathbb{1}(y_i = k)"]),
    # cs231n/cs231n.github.io@3d84654b1460 generative-modeling.md:242-244 -- IS(x), \mathbb{E}_{x \sim p_g},
    # D_{KL}[p(y|x) || p(y)], H(y) - H(y | x); the name set upright here (italic IS is read as I times S)
    # vitutorial/VITutorial@79d6cf4075ed modules/M6_ADVI/M6_ADVI.tex:255-258 -- "if $\epsilon \sim \mathcal N(0, I)$
    # and $Z \sim \mathcal N(\mu,\sigma^2)$ Then Z \sim \mu + \sigma \epsilon": the sample written with \sim
    ("vae", "vae.reparameterisation.sample", "VITutorial M6_ADVI.tex:258", VI_MACROS +
     "if $\\epsilon \\sim \\mathcal N(0, I)$ and $Z \\sim \\mathcal N(\\mu,\\sigma^2)$ then\n",
     r"Z \sim \mu + \sigma \epsilon", r"Z \sim \mu + \sigma^2 \epsilon", [], [r"\mu", r"\sigma"]),
    ("divergence", "divergence.inception-score", "cs231n generative-modeling.md:242", "",
     r"\mathrm{IS}(x) = \exp(\mathbb{E}_{x \sim p_g}[D_{KL}[p(y|x) || p(y)]])",
     r"\mathrm{IS}(x) = \exp(H(y) + H(y | x))", ["x as G"], []),
]


def scan_text(tmp_path, text: str, suffix: str = ".md"):
    path = tmp_path / ("notes" + suffix)
    path.write_text(text + "\n", encoding="utf-8")
    return scan_file(path, workers=0, sources=False)


def one(tmp_path, statement: str, preamble: str = ""):
    records = scan_text(tmp_path, preamble + "$$" + statement + "$$", ".tex" if preamble else ".md")
    (record,) = [r for r in records if r.kind == "known"] or records
    return record


def assert_read_as(record, read_as) -> None:
    """The reason shows how each of the lecture's names was read."""
    for text in read_as:
        assert f" {text}" in record.reason, record.reason
    if read_as:
        assert "(reading " in record.reason


def test_every_family_with_a_recogniser_has_a_case_of_its_own_notation():
    families = {c.family for c in recognisable_claims()}
    assert families <= set(OWN), families - set(OWN)
    assert {family for family, *_ in DEV} <= set(OWN)


@pytest.mark.parametrize("family", sorted(OWN))
def test_a_notation_of_our_own_is_proved_with_the_mapping(tmp_path, family):
    claim_id, statement, read_as = OWN[family]
    record = one(tmp_path, statement)
    assert (record.kind, record.verdict, record.claim) == ("known", "proved", claim_id), record.reason
    assert_read_as(record, read_as)


@pytest.mark.parametrize("case", DEV, ids=[f"{c[0]}:{c[2]}" for c in DEV])
def test_a_development_documents_notation_is_proved_with_the_mapping(tmp_path, case):
    family, claim_id, _, preamble, proved, _, read_as, _ = case
    record = one(tmp_path, proved, preamble)
    assert (record.kind, record.verdict, record.claim) == ("known", "proved", claim_id), record.reason
    assert_read_as(record, read_as)


@pytest.mark.parametrize("case", DEV, ids=[f"{c[0]}:{c[2]}" for c in DEV])
def test_a_wrong_variant_in_that_notation_disagrees_with_the_mapping_and_correct_form(tmp_path, case):
    family, claim_id, _, preamble, _, wrong, read_as, in_correct = case
    record = one(tmp_path, wrong, preamble)
    assert (record.kind, record.verdict, record.claim) == ("known", "disagrees", claim_id), record.reason
    assert_read_as(record, read_as)
    assert record.correct and "as written" in record.evidence
    for name in in_correct:  # the correct form in the document's own names
        assert name in record.correct, record.correct


def test_a_variance_name_is_shown_in_the_mapping(tmp_path):
    r"""\sigma^2 written as v: the record says so (it listed only u as \mu before)."""
    record = one(tmp_path, r"\mathrm{KL}(\mathcal N(u, v) \| \mathcal N(0, 1)) = \frac12(u^2 + v - 1 - 2\log v)")
    assert (record.verdict, record.claim) == ("disagrees", "kl.gaussian.standard"), record.reason
    assert r"v as \sigma^2" in record.reason and r"u as \mu" in record.reason


@pytest.mark.parametrize("statement", [
    r"\mathrm{KL}(\mathcal N(x; m, s^2) \| \mathcal N(x; 0, 1)) = \frac12(m^2 + s^2 - 1) - \log s",
    r"\mathrm{KL}(\mathcal N(\mu_q, \sigma_q^2) \| \mathcal N(y \mid \mu_p, \sigma_p^2))"
    r" = \log\frac{\sigma_p}{\sigma_q}"
    r" + \frac{\sigma_q^2 + (\mu_q - \mu_p)^2}{2\sigma_p^2} - \frac12",
])
def test_a_normal_written_with_its_variable_is_the_distribution_of_the_shape(tmp_path, statement):
    record = one(tmp_path, statement)
    assert (record.kind, record.verdict) == ("known", "proved"), record.reason


def test_the_reverse_kl_without_conditioning_is_not_read_as_the_gap(tmp_path):
    """KL(q(z) || p(z)) is not interpreted: it would unify with its own reverse (p, q are pattern names)."""
    record = one(tmp_path, r"\mathrm{ELBO} = \mathbb E[\log p(x \mid z)] - \mathrm{KL}(p(z) \| q(z))")
    assert record.verdict != "proved", record.reason
