r"""Known results of the nll, estimation and score families recognised by structure (issue 25).

For every recogniser added here: the statement proved in notations other than the claim's own
(other letters, fonts, \frac or /, another arrangement of the right side), a planted mistake
recorded as ``disagrees`` with the claim id and a counterexample, and a look-alike left side
that is another quantity, never flagged. The snippets are written for these tests.
"""

from __future__ import annotations

import pytest

from derivspec.scan import scan_file

# a lecture that says what sigma(.) is: the logistic function (else sigma(a) may be a scale times a)
SIGMOID = "$$\\sigma(u) = \\frac{1}{1 + e^{-u}}$$\n\n"


def last_record(tmp_path, text: str):
    """The record of the snippet's last statement (earlier lines only set up the notation)."""
    path = tmp_path / "notes.md"
    path.write_text(text + "\n", encoding="utf-8")
    return scan_file(path, workers=0, sources=False)[-1]


PROVED = [
    # nll.laplace
    ("nll.laplace", r"$$-\log \mathrm{Laplace}(y \mid m, s) = \log(2s) + \frac{|y-m|}{s}$$"),
    ("nll.laplace", r"$$\log \mathrm{Laplace}(t; a, \beta) = -\frac{|t-a|}{\beta} - \log 2 - \log\beta$$"),
    ("nll.laplace", r"$$-\log \mathrm{Laplace}(r; c, b) = |r - c|/b + \text{const}$$"),
    # nll.bernoulli.logits
    ("nll.bernoulli.logits", SIGMOID + r"$$-\log \mathrm{Bern}(y; \sigma(a)) = \log(1 + e^{a}) - y a$$"),
    ("nll.bernoulli.logits",
     SIGMOID + r"$$\log \mathrm{Bernoulli}(t; \sigma(\eta)) = t\eta - \ln(1+e^{\eta})$$"),
    # nll.poisson
    ("nll.poisson", r"$$-\log \mathrm{Poisson}(k; e^{\eta}) = e^{\eta} - k\eta + \text{const}$$"),
    ("nll.poisson", r"$$\log \mathrm{Poisson}(n \mid e^{f}) = n f - \exp(f) + \text{const}$$"),
    # nll.gaussian.cross-entropy
    ("nll.gaussian.cross-entropy",
     r"$$H(\mathcal N(a, b^2), \mathcal N(\mu, \sigma^2)) = \frac12\log(2\pi\sigma^2)"
     r" + \frac{b^2 + (a-\mu)^2}{2\sigma^2}$$"),
    ("nll.gaussian.cross-entropy",
     r"$$\mathrm{H}(\mathcal{N}(m, s^2), \mathcal{N}(\mu, \sigma^2)) = \log\sigma + \frac{1}{2}\log 2\pi"
     r" + \frac{s^2 + (m-\mu)^2}{2\sigma^2}$$"),
    ("nll.gaussian.cross-entropy",  # the roles of the letters swapped: all are bound by the shape
     r"$$H(\mathcal N(\mu, \sigma^2), \mathcal N(m, s^2)) = \log s + \frac{\log(2\pi)}{2}"
     r" + \frac{\sigma^2 + (\mu - m)^2}{2 s^2}$$"),
    # estimation.bernoulli.mle
    ("estimation.bernoulli.mle", r"$$\hat p_{\text{MLE}} = \frac{h}{h+t}$$"),
    ("estimation.bernoulli.mle", r"$$\hat{\mathbf p}_{\mathrm{MLE}} = 1/(1 + t/h)$$"),
    # score.guidance.cfg
    ("score.guidance.cfg", r"$$\tilde\epsilon = \gamma\epsilon_c + (1-\gamma)\epsilon_u$$"),
    ("score.guidance.cfg", r"$$\tilde{\boldsymbol\epsilon}_\theta(\mathbf x_t, c) = \epsilon_\theta(\mathbf x_t)"
                           r" + \gamma\cdot\left(\epsilon_\theta(\mathbf x_t, c)"
                           r" - \epsilon_\theta(\mathbf x_t)\right)$$"),
    ("score.guidance.cfg", r"$$\tilde\varepsilon = \varepsilon_u + (\varepsilon_c - \varepsilon_u)\gamma$$"),
    # any scale letter in any convention: an affine combination (coefficients summing to one) is the claim's at
    # gamma = the conditional coefficient (classifier_free_guidance.py): 1 + gamma here, w there
    ("score.guidance.cfg",
     r"$$\tilde\epsilon_\theta(x_t, c) = (1+\gamma)\epsilon_\theta(x_t, c) - \gamma\epsilon_\theta(x_t)$$"),
    ("score.guidance.cfg", r"$$\tilde\epsilon = \epsilon_u + w(\epsilon_c - \epsilon_u)$$"),
]

# (claim, planted mistake, text expected in the correct form or None)
WRONG = [
    ("nll.laplace", r"$$-\log \mathrm{Laplace}(y; \mu, b) = \frac{|y-\mu|}{2b} + \log(2b)$$",
     r"\log(2 b)"),
    ("nll.laplace", r"$$\log \mathrm{Laplace}(t; a, \beta) = -\frac{(t-a)^2}{\beta} - \log(2\beta)$$", r"\beta"),
    ("nll.bernoulli.logits", SIGMOID + r"$$-\log \mathrm{Bern}(y; \sigma(a)) = \log(1 + e^{-a}) - y a$$", "e^{a}"),
    ("nll.poisson", r"$$-\log \mathrm{Poisson}(k; e^{\eta}) = e^{\eta} - k\eta$$", r"\eta"),  # log k! dropped
    ("nll.gaussian.cross-entropy",  # s for s^2
     r"$$H(\mathcal N(m, s^2), \mathcal N(\mu, \sigma^2)) = \frac12\log(2\pi\sigma^2)"
     r" + \frac{s + (m-\mu)^2}{2\sigma^2}$$", "s^{2}"),
    ("estimation.bernoulli.mle", r"$$\hat{p}_{\mathrm{MLE}} = \frac{h}{t}$$", r"\frac{h}{h + t}"),
    ("score.guidance.cfg",  # the unconditional term added: the coefficients sum to 1 + 2 gamma
     r"$$\tilde\epsilon_\theta(x_t, c) = (1+\gamma)\epsilon_\theta(x_t, c) + \gamma\epsilon_\theta(x_t)$$", r"\gamma"),
]

# look-alike left sides that are other quantities: not recognised as the claim, never flagged
TWINS = [
    ("nll.laplace", r"$$-\log \prod_{i=1}^n \mathrm{Laplace}(y_i; \mu, b) = n\log(2b)"
                    r" + \frac{1}{b}\sum_{i=1}^n |y_i-\mu|$$"),
    ("nll.bernoulli.logits", SIGMOID + r"$$-\log \mathrm{Bern}(y; \sigma(-a)) = \log(1 + e^{-a}) + y a$$"),
    ("nll.poisson", r"$$-\log \mathrm{Poisson}(y; \lambda) = \lambda - y\log\lambda + \text{const}$$"),
    ("nll.gaussian.cross-entropy", r"$$H(\mathcal N(\mu, \sigma^2)) = \frac12\log(2\pi e\sigma^2)$$"),
    ("estimation.bernoulli.mle", r"$$\hat p = \frac{h+1}{h+t+2}$$"),
    ("estimation.bernoulli.mle", r"$$\hat p_{\mathrm{MAP}} = \frac{h + a - 1}{h + t + a + b - 2}$$"),
    ("score.guidance.cfg", r"$$\tilde\epsilon_\theta(x_t, c) = \epsilon_\theta(x_t, c) - \gamma\sqrt{1-\bar\alpha_t}"
                           r"\,\nabla_{x_t}\log p(c \mid x_t)$$"),  # classifier guidance
]


@pytest.mark.parametrize("claim_id, text", PROVED, ids=[f"{c}-{i}" for i, (c, _) in enumerate(PROVED)])
def test_a_known_result_is_proved_in_the_lectures_notation(tmp_path, claim_id, text):
    record = last_record(tmp_path, text)
    assert (record.kind, record.verdict, record.claim) == ("known", "proved", claim_id), record.reason


@pytest.mark.parametrize("claim_id, text, correct", WRONG, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(WRONG)])
def test_a_planted_mistake_disagrees_with_a_counterexample(tmp_path, claim_id, text, correct):
    record = last_record(tmp_path, text)
    assert (record.kind, record.verdict, record.claim) == ("known", "disagrees", claim_id), record.reason
    assert "as written" in record.evidence and "derived" in record.evidence
    assert correct in record.correct, record.correct


@pytest.mark.parametrize("claim_id, text", TWINS, ids=[f"{c}-{i}" for i, (c, _) in enumerate(TWINS)])
def test_a_look_alike_left_side_is_not_flagged(tmp_path, claim_id, text):
    record = last_record(tmp_path, text)
    assert record.verdict != "disagrees", record.reason
    assert record.claim != claim_id or record.verdict == "unchecked", record.reason


def test_the_new_recognisers_are_in_the_registry_of_a_fresh_process():
    """The recognisable claims are cached under a fingerprint of the derivation code, so a new
    ``recognise`` field starts a fresh cache; a fresh process lists these claims."""
    import subprocess
    import sys

    code = ("from derivspec.core.catalogue import recognisable_claims; "
            "print(' '.join(sorted(c.id for c in recognisable_claims())))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    ids = set(done.stdout.split())
    assert {c for c, _ in PROVED} <= ids, done.stderr
