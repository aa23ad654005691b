r"""derivspec scan recognises the results of the ar, contrastive, divergence, flow and gan families by structure.

For every claim of these families with a ``recognise`` shape: the statement proved in at least two
notations other than the claim's own, a planted mistake recorded as ``disagrees`` with a
counterexample and the correct form, and a twin whose left side looks alike but names another
quantity, which must not be flagged. The snippets are written for these tests.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from derivspec.core import registry
from scanning import scan_text

FAMILIES = ("ar", "contrastive", "divergence", "flow", "gan")

# claim id -> (proved in other notations, planted mistakes, must-not-flag twins)
CASES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "ar.perplexity": (  # at the lecture's own count of tokens (derivspec/scan/sizes.py)
        (r"\mathrm{PPL}(w_{1:L}) = \exp\left(-\frac{1}{L}\sum_{l=1}^{L}\log q(w_l \mid w_{<l})\right)",
         r"\text{Perplexity} = \left(\prod_{t=1}^{T} p_\theta(x_t \mid x_{<t})\right)^{-1/T}"),
        (r"\mathrm{PPL} = \exp\left(-\sum_{t=1}^{T}\log p(x_t \mid x_{<t})\right)",  # per sequence, not per token
         r"\mathrm{PPL} = \exp\left(\frac{1}{T}\sum_{t=1}^{T}\log p(x_t \mid x_{<t})\right)"),  # sign
        (r"\mathrm{PPL}_t = \exp\left(-\frac{1}{T}\sum_{s=1}^{T}\log p(x_s \mid x_{<s})\right)",  # another name
         r"\mathrm{PPL} = \exp\left(-\frac{1}{T}\sum_{t=1}^{T}\log p(x_t \mid x_{<t}) + \frac{1}{T}\sum_{t=1}^{T}"
         r"\log r(y_t)\right)"),  # two families of items: another quantity
    ),
    "contrastive.mi.gaussian": (
        (r"I(U; V) = \frac12 \ln\frac{1}{1-\rho^2}",
         r"I(X, Y) = -\log\sqrt{1 - \varrho^2}",
         r"I(X; Y) = -\frac{1}{2}\log\left(1 - \rho^{2}\right)"),
        (r"I(X; Y) = -\frac{1}{2}\log(1 - \rho)",  # rho for rho^2
         r"I(X; Y) = \frac{1}{2}\log(1 - \rho^2)"),  # sign
        (r"I(X; Y \mid Z) = -\frac{1}{2}\log(1 - \rho^2)",  # conditional MI: another quantity
         r"I(X; Y) = -\frac{d}{2}\log(1 - \rho^2)"),  # d pairs: a setting the claim does not have
    ),
    "divergence.f.js": (
        (r"\mathrm{JSD}(P \| Q) = \frac12 \mathrm{KL}(P \| M) + \frac12 \mathrm{KL}(Q \| M)",
         r"D_{\mathrm{JS}}(p \| q) = \tfrac{1}{2} D_{KL}\left(p \,\Big\|\, \tfrac{p+q}{2}\right)"
         r" + \tfrac{1}{2} D_{KL}\left(q \,\Big\|\, \tfrac{p+q}{2}\right)",
         r"\mathrm{JS}(P, Q) = H(M) - \frac{H(P) + H(Q)}{2}",
         r"\mathrm{JSD}(\mathrm{Bern}(p) \| \mathrm{Bern}(q)) = "
         r"\frac{p}{2}\log\frac{2p}{p+q} + \frac{q}{2}\log\frac{2q}{p+q}"
         r" + \frac{1-p}{2}\log\frac{2(1-p)}{2-p-q} + \frac{1-q}{2}\log\frac{2(1-q)}{2-p-q}"),
        (r"\mathrm{JSD}(P \| Q) = \mathrm{KL}(P \| M) + \mathrm{KL}(Q \| M)",  # the 1/2 dropped
         r"\mathrm{JS}(P \| Q) = \frac12 \mathrm{KL}(P \| M)",  # one half only
         r"\mathrm{JS}(P, Q) = H(M) - H(P) - H(Q)"),  # the halves dropped
        (r"\mathrm{JS}_\pi(P \| Q) = \pi\,\mathrm{KL}(P \| M) + (1 - \pi)\,\mathrm{KL}(Q \| M)",  # weighted JS
         r"\mathrm{JSD}(P \| Q) = 0",  # a worked value (P = Q), not compared
         r"D_{\mathrm{JSD}}(P \| Q) = \frac12 \mathrm{KL}(M \| P) + \frac12 \mathrm{KL}(M \| Q)"),  # not interpreted
    ),
    "divergence.f.chi2": (
        (r"D_{\chi^2}(\mathrm{Bernoulli}(q) \| \mathrm{Bernoulli}(p)) = \frac{(q-p)^2}{p(1-p)}",
         r"D_{\chi^2}(\mathrm{Ber}(\pi) \| \mathrm{Ber}(\rho)) = "
         r"\frac{(\pi-\rho)^2}{\rho} + \frac{(\pi-\rho)^2}{1-\rho}"),
        (r"D_{\chi^2}(\mathrm{Bern}(p) \| \mathrm{Bern}(q)) = \frac{(p-q)^2}{q}",),  # second outcome dropped
        (r"D_{\chi^2}(\mathcal N(\mu, 1) \| \mathcal N(0, 1)) = e^{\mu^2} - 1",),
    ),
    "divergence.f.tv": (
        (r"\mathrm{TV}(\mathrm{Bern}(p), \mathrm{Bern}(q)) = \sqrt{(p - q)^2}",
         r"D_{\mathrm{TV}}(\mathrm{Bernoulli}(q) \| \mathrm{Bernoulli}(p)) = \left|q - p\right|"),
        (r"\mathrm{TV}(\mathrm{Bern}(p), \mathrm{Bern}(q)) = \frac12 |p - q|",
         r"\mathrm{TV}(\mathrm{Bern}(p), \mathrm{Bern}(q)) = p - q"),
        (r"\mathrm{TV}(\mathcal N(\mu, 1), \mathcal N(0, 1)) = 2\Phi(|\mu|/2) - 1",),
    ),
    "divergence.fid.gaussian": (
        (r"\mathrm{FID} = \|\mu_r - \mu_g\|^2 + \mathrm{Tr}(\Sigma_r + \Sigma_g - 2(\Sigma_r\Sigma_g)^{1/2})",
         r"\text{FID} = (\mu_r - \mu_g)^2 + \mathrm{tr}(C_r) + \mathrm{tr}(C_g)"
         r" - 2\,\mathrm{tr}\left(\sqrt{C_r C_g}\right)",
         r"\mathrm{FID} = (\mu_g - \mu_r)^2 + (\sigma_r - \sigma_g)^2"),
        # the norm not squared
        (r"\mathrm{FID} = \|\mu_r - \mu_g\| + \mathrm{Tr}(\Sigma_r + \Sigma_g - 2(\Sigma_r\Sigma_g)^{1/2})",
         r"\mathrm{FID} = (\mu_r - \mu_g)^2 + \mathrm{tr}(\Sigma_r) + \mathrm{tr}(\Sigma_g)"
         r" - \mathrm{tr}(\sqrt{\Sigma_r\Sigma_g})"),  # the 2 dropped
        (r"\widehat{\mathrm{FID}} = \|\hat\mu_r - \hat\mu_g\|^2 + \mathrm{Tr}(\hat\Sigma_r + \hat\Sigma_g"
         r" - 2(\hat\Sigma_r\hat\Sigma_g)^{1/2})",  # the estimate from samples
         # a trace the claim does not read: unchecked
         r"\mathrm{FID} = \|\mu_r - \mu_g\|^2 + \mathrm{Tr}(\Sigma_r + \Sigma_g - 2\Sigma_r\Sigma_g)"),
    ),
    "divergence.inception-score": (
        (r"\mathrm{IS} = \exp\left(\mathbb{E}_{x}\left[D_{KL}(p(y \mid x) \| p(y))\right]\right)",
         r"\operatorname{IS}(G) = \exp\left(H(y) - \mathbb{E}_{x \sim p_g}[H(y \mid x)]\right)",
         r"\mathrm{IS} = \exp\left(\mathbb{E}_{u}\left[\mathrm{KL}(p(c \mid u) \| p(c))\right]\right)"),
        (r"\mathrm{IS} = \exp\left(\mathbb{E}_{x}\left[D_{KL}(p(y) \| p(y \mid x))\right]\right)",  # swapped
         r"\mathrm{IS} = \exp\left(\mathbb{E}_{x}[H(y \mid x)] - H(y)\right)"),  # sign
        (r"\mathrm{IS} = \frac{1}{N}\sum_{i=1}^{N} \frac{p(x_i)}{q(x_i)} f(x_i)",  # importance sampling
         r"\mathrm{IS} = \exp\left(\mathbb{E}_{x}\left[D_{KL}(p(y \mid x) \| q(y))\right]\right)",
         r"\log \mathrm{IS} = \log 4"),  # the log of IS is not a shape: log x would match it
    ),
    "divergence.js.shifted-uniform": (
        (r"\mathrm{JSD}(U[0, 1] \| U[s, 1+s]) = s \log 2",
         r"\mathrm{JS}(\mathcal{U}(0,1), \mathcal{U}(\theta, \theta + 1)) = \theta \ln 2"),
        (r"\mathrm{JSD}(U[0, 1] \| U[s, 1+s]) = 2 s \log 2",),  # the 1/2 dropped
        (r"\mathrm{KL}(U[0, 1] \| U[s, 1+s]) = \infty",
         r"\mathrm{JSD}(U[0, 1] \| U[2, 3]) = \log 2",  # disjoint supports: a number cannot bind s
         r"\mathrm{JSD}(U[0, 1] \| U[s, 1+s]) = \log 2"),  # a worked value (disjoint), not compared
    ),
    "divergence.wasserstein.shifted-uniform": (
        (r"W_1(U[0, 1], U[h, 1+h]) = h",
         r"W(\mathcal U(0,1), \mathcal U(\theta, 1+\theta)) = |\theta|"),
        (r"W_1(U[0, 1], U[s, 1+s]) = s^2",),
        (r"W_1(U[0, 1], U[0, s]) = \frac{|1 - s|}{2}",
         r"W_2(U[0, 1], U[s, 1+s]) = s^2"),
    ),
    "flow.hutchinson.unbiased": (
        (r"\mathbb{E}_{p(z)}[z^\top B z] = \mathrm{tr}(B)",
         r"\mathbb{E}_{\varepsilon}[\varepsilon^\top M \varepsilon] = \operatorname{Tr}(M)",
         r"\mathbb{E}[v^\top A v] = a_{22} + a_{11}"),
        (r"\mathbb{E}[\epsilon^\top A \epsilon] = \mathrm{tr}(A)^2",
         r"\mathbb{E}[\epsilon^\top A \epsilon] = 2\,\mathrm{tr}(A)"),
        (r"\mathbb{E}[\epsilon^\top A \epsilon] = \mathrm{tr}(A \Sigma)",  # a probe with covariance Sigma
         r"\mathbb{E}[x^\top A x] = \mathrm{tr}(A) + \mu^\top A \mu"),  # a probe with a mean
    ),
    "flow.conv1x1.log-det": (
        (r"\log|\det J| = w h \log|\det(K)|",
         r"\log\left|\det J\right| = h\,w\,\log\left|\det \mathrm{W}\right|"),
        (r"\log|\det J| = (h + w) \log|\det W|",
         r"\log|\det J| = h w |\det W|"),
        (r"\log|\det J| = h \cdot w \cdot \sum_i \log|s_i|",  # actnorm
         r"\log|\det J| = \sum_{i} \log|s_i|"),  # a coupling layer: no h, w
    ),
    # the optimal discriminator is often written with the generator it is optimal for, D^*_G(x): a label
    # subscript on the starred name (derivspec/scan/known.py _optimum_for)
    "gan.discriminator.optimal": (
        (r"D^*_G(x) = \frac{p_{data}(x)}{p_{data}(x) + p_g(x)}",
         r"D_{\theta}^{*}(x) = \frac{p_{\mathrm{data}}(x)}{p_\theta(x) + p_{\mathrm{data}}(x)}"),
        (r"D^*_G(x) = \frac{p_g(x)}{p_{data}(x) + p_g(x)}",  # the ratio inverted
         r"D^*(x) = \frac{p_{\mathrm{data}}(x)}{p_g(x)}"),  # the density ratio, not the discriminator
        (r"D_G(x) = \frac{p_g(x)}{p_{data}(x) + p_g(x)}",  # no star: some discriminator the lecture defines
         r"D^*_{t-1}(x) = \frac{p_g(x)}{p_{data}(x) + p_g(x)}"),  # a subscript that is not a label
    ),
    "gan.value.optimal": (
        (r"V(G, D^*) = -\log 4 + 2\,\mathrm{JSD}(p_{\text{data}} \| p_g)",
         r"V(D^*, G) = 2\,\mathrm{JSD}(p_{data} \| p_g) - 2\log 2"),  # the paper's order of arguments
        (r"V(G, D^*) = -\log 2 + 2\,\mathrm{JSD}(p_{\text{data}} \| p_g)",
         r"V(G, D^*) = -\log 4 + \mathrm{JSD}(p_{\text{data}} \| p_g)"),
        (r"V(G, D) = -\log 2 + 2\,\mathrm{JSD}(p_{\text{data}} \| p_g)",  # not at the optimum
         r"V(D, G) = -\log 2 + 2\,\mathrm{JSD}(p_{\text{data}} \| p_g)"),
    ),
}


def one(tmp_path, latex: str):
    (record,) = scan_text(tmp_path, f"$${latex}$$\n")
    return record


def cases(position: int):
    return [pytest.param(claim_id, text, id=f"{claim_id}-{k}")
            for claim_id, groups in CASES.items() for k, text in enumerate(groups[position])]


def test_every_recognisable_claim_of_these_families_has_cases():
    recognisable = {claim_id for claim_id in registry.REGISTRY.ids()
                    if claim_id.split(".")[0] in FAMILIES and registry.get(claim_id).recognise}
    assert recognisable == set(CASES)
    for claim_id, (proved, wrong, twins) in CASES.items():
        assert len(proved) >= 2 and wrong and twins, claim_id


@pytest.mark.parametrize("claim_id, text", cases(0))
def test_the_result_is_proved_in_another_notation(tmp_path, claim_id, text):
    record = one(tmp_path, text)
    assert (record.kind, record.verdict, record.claim) == ("known", "proved", claim_id), record.reason


@pytest.mark.parametrize("claim_id, text", cases(1))
def test_a_planted_mistake_disagrees_with_a_counterexample_and_the_correct_form(tmp_path, claim_id, text):
    record = one(tmp_path, text)
    assert (record.kind, record.verdict, record.claim) == ("known", "disagrees", claim_id), record.reason
    assert "as written" in record.evidence and "derived" in record.evidence
    assert record.correct


@pytest.mark.parametrize("claim_id, text", cases(2))
def test_a_twin_that_names_another_quantity_is_not_flagged(tmp_path, claim_id, text):
    record = one(tmp_path, text)
    assert record.verdict != "disagrees", (record.claim, record.reason, record.evidence)


def test_the_statement_in_the_claims_own_notation_is_recognised(tmp_path):
    """The claim's own letters too (the shapes are written in them)."""
    record = one(tmp_path, r"I(X; Y) = -\frac{1}{2}\log(1 - \rho^2)")
    assert (record.verdict, record.claim) == ("proved", "contrastive.mi.gaussian")


def test_a_fresh_process_recognises_the_new_shapes(tmp_path):
    """The registry caches which claims are recognisable under the code's fingerprint (derivations
    included): a fresh process sees the shapes of these families."""
    path = tmp_path / "lecture.md"
    path.write_text("$$\\mathrm{JSD}(P \\| Q) = \\mathrm{KL}(P \\| M) + \\mathrm{KL}(Q \\| M)$$\n\n"
                    "$$\\log|\\det J| = h \\cdot w \\cdot \\log|\\det W|$$\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "derivspec", "scan", str(path), "--json", "--jobs", "1"],
                          capture_output=True, text=True, timeout=300)
    statements = json.loads(done.stdout)["statements"]
    assert [(s["claim"], s["verdict"]) for s in statements] == [
        ("divergence.f.js", "disagrees"), ("flow.conv1x1.log-det", "proved")], done.stderr
