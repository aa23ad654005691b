"""Finding the claim (issue 81): ``conform --suggest`` names the claim a user-style implementation
computes -- and no other -- for implementations of eleven different claims written for this test
(no wrapper; ``--args`` where a parameter is named differently); ``list --grep``; ``conform --help``
names the families."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import sympy

from derivspec.app.cli import main
from derivspec.core import registry
from derivspec.testing.suggest import suggest


def kl_to_standard_normal(mu, sigma):
    return 0.5 * (mu ** 2 + sigma ** 2 - 1) - np.log(sigma)


def kl_two_gaussians(mu1, sigma1, mu2, sigma2):
    return np.log(sigma2 / sigma1) + (sigma1 ** 2 + (mu1 - mu2) ** 2) / (2 * sigma2 ** 2) - 0.5


def bernoulli_log_lik(y, p):
    return y * np.log(p) + (1 - y) * np.log1p(-p)


def gaussian_nll(y, mu, sigma):
    return 0.5 * np.log(2 * np.pi * sigma ** 2) + 0.5 * ((y - mu) / sigma) ** 2


def bernoulli_kl(p, q):
    return p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))


def binary_entropy(p):
    return -(p * np.log(p) + (1 - p) * np.log1p(-p))


def bce_with_logits(y, z):
    return np.logaddexp(0.0, z) - y * z


def softmax_ce_first_class(logits):
    shifted = logits - np.max(logits)
    return -(shifted[0] - np.log(np.sum(np.exp(shifted))))


def posterior_variance(alpha_t, alpha_bar_prev):
    alpha_bar_t = alpha_t * alpha_bar_prev
    return (1 - alpha_t) * (1 - alpha_bar_prev) / (1 - alpha_bar_t)


def noisy_mean(x0, alpha_t, alpha_bar_prev):
    return math.sqrt(alpha_t * alpha_bar_prev) * x0


def ridge_lambda(sigma, tau):
    return (sigma / tau) ** 2


def test_list_grep_and_the_families_in_help(capsys, monkeypatch):
    from derivspec.core import catalogue
    from derivspec.core.catalogue import claim_summary

    # a listing of a few real claims (the whole listing takes half a minute where its cache is cold)
    sample = [claim_summary(registry.get(i), []) for i in ("kl.bernoulli", "nll.bernoulli", "kl.gaussian.standard")]
    monkeypatch.setattr(catalogue, "claim_listing", lambda: sample)
    assert main(["list", "--grep", "bernoulli", "--grep", "KL", "--json"]) == 0
    ids = [c["id"] for c in json.loads(capsys.readouterr().out)["claims"]]
    assert "kl.bernoulli" in ids and "nll.bernoulli" not in ids and "kl.gaussian.standard" not in ids
    assert main(["list", "--grep", "no-such-word"]) == 0
    assert "no claim matches 'no-such-word'" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["conform", "--help"])
    out = capsys.readouterr().out
    assert "claim families: " in out and "kl, " in out and "ddpm" in out and "--suggest" in out


# (function, args, the claim, what it needs)
IMPLEMENTATIONS = [
    (kl_to_standard_normal, None, "kl.gaussian.standard", {}),
    (kl_two_gaussians, None, "kl.gaussian.univariate", {}),
    (bernoulli_log_lik, None, "nll.bernoulli", {"up_to": ["sign"]}),
    (gaussian_nll, None, "nll.gaussian", {}),
    (bernoulli_kl, None, "kl.bernoulli", {}),
    (binary_entropy, None, "kl.entropy.bernoulli", {}),
    (bce_with_logits, None, "nll.bernoulli.logits", {}),
    (softmax_ce_first_class, {"logits": "[h1, h2, h3]"}, "nll.categorical", {"batching": "unbatched"}),
    (posterior_variance, None, "ddpm.posterior.variance", {}),
    (noisy_mean, None, "ddpm.marginal.mean", {}),
    (ridge_lambda, None, "map.gaussian-prior.l2", {}),
]


@pytest.mark.parametrize("fn, args, claim, needs", IMPLEMENTATIONS, ids=[i[0].__name__ for i in IMPLEMENTATIONS])
def test_suggest_names_the_claim_and_no_other(fn, args, claim, needs):
    found = {s.claim: s.declared for s in suggest(fn, args=args)}
    assert found.pop(claim) == needs
    for other in found:  # any other claim suggested states the same quantity (the catalogue has a few twins)
        assert _same_target(claim, other), other


def _same_target(first: str, second: str) -> bool:
    def plain(claim_id):
        claim = registry.get(claim_id)
        expr = claim.expand_defined(claim.target)
        return expr.xreplace({s: sympy.Symbol(s.name) for s in expr.free_symbols})

    return sympy.simplify(plain(first) - plain(second)) == 0


def test_suggest_on_the_command_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "homework.py").write_text(
        "import numpy as np\n\n\ndef kl(mu, logvar):\n    return 0.5 * (mu**2 + np.exp(logvar) - 1 - logvar)\n\n\n"
        "def log_lik(y, p):\n    return y * np.log(p) + (1 - y) * np.log(1 - p)\n")
    monkeypatch.chdir(tmp_path)
    assert main(["conform", "--suggest", "homework:kl", "--args", "logvar=2*log(sigma)"]) == 0
    assert "kl.gaussian.standard" in capsys.readouterr().out
    assert main(["conform", "--suggest", "homework:log_lik", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)["suggestions"]
    assert row["claim"] == "nll.bernoulli" and row["options"] == "--up-to sign"
    assert main(["conform", "--suggest", "homework:kl"]) == 1  # logvar fits no claim's symbols
    assert "--args PARAM=EXPR" in capsys.readouterr().out
