r"""derivspec scan recognises the results of the latent, map, sampling and vae families by structure
(issue 25): each claim with a ``recognise`` shape is proved in two notations other than its own
statement, a planted mistake is flagged with the claim, a counterexample and the correct form, and
a twin whose left side looks alike but is another quantity (or the same quantity in a setting the
claim does not model) is never flagged.

The snippets are written for these tests.
"""

from __future__ import annotations

import pytest

from scanning import scan_text

# claim id -> (two right statements in other notations, a wrong one, a twin that must not be flagged)
CASES = {
    "sampling.gibbs.conditional-mean": (
        [r"\mathbb E[y_1 \mid y_2] = \mu_1 + \frac{\rho s_1}{s_2}(y_2 - \mu_2)",
         r"\mathbb{E}[\mathbf x_1 \mid \mathbf x_2] = \mu_1 - \rho \frac{s_1}{s_2}\mu_2"
         r" + \rho \frac{s_1}{s_2}\mathbf x_2",
         r"p(x_1 \mid x_2) = \mathcal N\left(x_1; \mu_1 + \rho \frac{s_1}{s_2}(x_2 - \mu_2), (1-\rho^2) s_1^2\right)"],
        r"\mathbb E[x_1 \mid x_2] = \mu_1 + \rho \frac{s_2}{s_1}(x_2 - \mu_2)",  # the scales swapped
        r"\mathbb E[x_1 \mid x_2] = \rho x_2",  # a standardised pair: right there, not the general form
    ),
    "sampling.gibbs.conditional-variance": (
        [r"\mathrm{Var}[u_1 \mid u_2] = s_1^2 - \rho^2 s_1^2",
         r"\mathrm{Var}[\boldsymbol x_1 \mid \boldsymbol x_2] = (1 - \rho^2)\, s_1^2"],
        r"\mathrm{Var}[x_1 \mid x_2] = (1 - \rho) s_1^2",  # rho for rho^2
        r"\mathrm{Var}[x_1 \mid x_2] = 1 - \rho^2",
    ),
    "latent.fa.posterior.mean": (
        [r"\mathbb E[z \mid x] = \frac{w_1 (x_1 - b_1)/\psi_1 + w_2 (x_2 - b_2)/\psi_2}"
         r"{1 + w_1^2/\psi_1 + w_2^2/\psi_2}",
         r"\mathbb{E}[\mathbf z \mid \mathbf y] = \frac{(x_1 - b_1) w_1 \psi_2 + (x_2 - b_2) w_2 \psi_1}"
         r"{\psi_1 \psi_2 + \psi_2 w_1^2 + \psi_1 w_2^2}"],
        r"\mathbb E[z \mid x] = \frac{w_1 (x_1 - b_1)/\psi_1 + w_2 (x_2 - b_2)/\psi_2}{w_1^2/\psi_1 + w_2^2/\psi_2}",
        # centred data (b = 0): another model's mean, right there
        r"\mathbb E[z \mid x] = \frac{w_1 x_1/\psi_1 + w_2 x_2/\psi_2}{1 + w_1^2/\psi_1 + w_2^2/\psi_2}",
    ),
    "latent.fa.posterior.variance": (
        [r"\mathrm{Var}[z \mid x] = \left(1 + \frac{w_1^2}{\psi_1} + \frac{w_2^2}{\psi_2}\right)^{-1}",
         r"\mathrm{Var}[\mathbf h \mid \mathbf y] = \frac{\psi_1\psi_2}{\psi_1\psi_2 + w_1^2\psi_2 + w_2^2\psi_1}"],
        r"\mathrm{Var}[z \mid x] = \frac{1}{w_1^2/\psi_1 + w_2^2/\psi_2}",  # the prior's 1 dropped
        r"\mathrm{Var}[z \mid x] = \frac{\sigma^2}{\sigma^2 + w_1^2 + w_2^2}",  # PPCA's isotropic noise
    ),
    "latent.mixture.variance": (
        [r"\mathrm{Var}[x] = \alpha s_1^2 + (1-\alpha) s_2^2 + \alpha(1-\alpha)(\mu_1 - \mu_2)^2",
         r"\operatorname{Var}[y] = \alpha(s_1^2 + \mu_1^2) + (1-\alpha)(s_2^2 + \mu_2^2)"
         r" - (\alpha\mu_1 + (1-\alpha)\mu_2)^2"],
        r"\mathrm{Var}[x] = \alpha s_1^2 + (1-\alpha) s_2^2 + (\mu_1 - \mu_2)^2",  # alpha(1 - alpha) dropped
        r"\mathrm{Var}[x] = \alpha^2 s_1^2 + (1-\alpha)^2 s_2^2",  # x a weighted sum of two variables
    ),
    "latent.gmm.responsibility": (
        [r"\gamma(z_1) = \frac{\alpha \mathcal N(x; \mu_1, \sigma_1^2)}"
         r"{\alpha \mathcal N(x; \mu_1, \sigma_1^2) + (1-\alpha)\mathcal N(x; \mu_2, \sigma_2^2)}",
         r"\gamma(z_1) = \left(1 + \frac{(1-\alpha) N(x \mid m_2, s_2^2)}{\alpha N(x \mid m_1, s_1^2)}\right)^{-1}"],
        r"\gamma(z_1) = \frac{(1-\alpha)\mathcal N(x; \mu_1, s_1^2)}"
        r"{(1-\alpha)\mathcal N(x; \mu_1, s_1^2) + \alpha\mathcal N(x; \mu_2, s_2^2)}",  # the weights swapped
        r"\gamma(z_1) = \frac{\mathcal N(x; \mu_1, s_1^2)}{\mathcal N(x; \mu_1, s_1^2) + \mathcal N(x; \mu_2, s_2^2)}",
    ),
    "sampling.mc.standard-error": (
        [r"\mathrm{Var}\left[\frac{1}{N}\sum_{i=1}^N f(x_i)\right] = \frac{\sigma^2}{N}",
         r"\sqrt{\mathrm{Var}\left[\frac1n\sum_{i=1}^n f(y_i)\right]} = \frac{\sqrt{\mathrm{Var}[f(y)]}}{\sqrt n}"],
        r"\sqrt{\mathrm{Var}\left[\frac1n\sum_{i=1}^n f(y_i)\right]} = \sigma / n",  # the variance's rate
        r"\mathrm{Var}\left[\sum_{i=1}^n f(y_i)\right] = n\sigma^2",  # the sum, not the mean
    ),
    "vae.prior.nll": (
        [r"-\log \mathcal N(\mathbf z; 0, \mathbf I) = \frac12(z_1^2 + z_2^2) + \log 2\pi",
         r"\log \mathcal{N}(z; 0, I) = -\frac{z_1^2 + z_2^2}{2} - \ln(2\pi)"],
        r"\log \mathcal N(z; 0, I) = -\frac12(z_1^2 + z_2^2) - \frac12\log 2\pi",  # d/2 taken as 1/2
        r"-\log \mathcal N(z; 0, 1) = \frac{z^2}{2} + \frac12\log 2\pi",  # one dimension
    ),
    "map.beta-bernoulli": (
        [r"\hat\theta_{\text{MAP}} = \frac{h + \alpha - 1}{h + t + \alpha + \beta - 2}",
         r"p_{\mathrm{MAP}} = \frac{\alpha - 1 + h}{(\alpha + h - 1) + (\beta + t - 1)}"],
        r"\hat p_{\mathrm{MAP}} = \frac{h + \alpha}{h + t + \alpha + \beta}",  # the posterior mean for the mode
        r"\hat\theta_{\mathrm{MLE}} = \frac{h}{h + t}",
    ),
    "map.beta-bernoulli.posterior-mean": (
        [r"\mathbb E[\theta \mid \mathcal D] = \frac{\alpha + h}{\alpha + \beta + h + t}",
         r"\mathbb{E}[p \mid h, t] = \frac{h + \alpha}{(h + \alpha) + (t + \beta)}"],
        r"\mathbb E[\theta \mid D] = \frac{\alpha + h - 1}{\alpha + \beta + h + t - 2}",  # the mode for the mean
        r"\mathbb E[\theta] = \frac{\alpha}{\alpha + \beta}",  # the prior mean
    ),
    "latent.ppca.noise-mle": (
        [r"\hat\sigma^2 = \frac{c_{11} + c_{22}}{2} - \sqrt{\frac{(c_{11} - c_{22})^2}{4} + c_{12}^2}",
         r"\sigma_{\mathrm{ML}}^2 = \frac12\left(c_{11} + c_{22} - \sqrt{(c_{11} - c_{22})^2 + 4 c_{12}^2}\right)"],
        r"\hat\sigma^2 = \frac{c_{11} + c_{22}}{2} + \sqrt{\frac{(c_{11} - c_{22})^2}{4} + c_{12}^2}",  # the larger one
        r"\hat\sigma^2 = \frac{1}{3}\sum_{i=1}^3 (x_i - \bar x)^2",
    ),
    "latent.em.m-step.mean": (
        [r"\hat\mu = \frac{\sum_{i=1}^3 \gamma_i x_i}{\sum_{i=1}^3 \gamma_i}",
         r"\hat{\boldsymbol\mu} = \frac{\gamma_1 x_1 + \gamma_2 x_2 + \gamma_3 x_3}{\gamma_1 + \gamma_2 + \gamma_3}"],
        r"\hat\mu = \frac13 \sum_{i=1}^3 \gamma_i x_i",  # divided by n
        r"\hat\mu = \frac13 (x_1 + x_2 + x_3)",
    ),
    "latent.em.m-step.variance": (
        [r"\hat\sigma^2 = \frac{\sum_{i=1}^3 \gamma_i (x_i - \hat\mu)^2}{\sum_{i=1}^3 \gamma_i}",
         r"\hat s^2 = \frac{\gamma_1 (x_1 - \hat\mu)^2 + \gamma_2 (x_2 - \hat\mu)^2 + \gamma_3 (x_3 - \hat\mu)^2}"
         r"{\gamma_1 + \gamma_2 + \gamma_3}"],
        r"\hat\sigma^2 = \frac{1}{3}\sum_{i=1}^3 (x_i - \hat\mu)^2 \gamma_i",  # divided by n
        r"\hat\sigma^2 = \frac{1}{3}\sum_{i=1}^3 (x_i - \hat\mu)^2",
    ),
    "latent.em.m-step.weight": (
        [r"\hat\pi = \frac13\sum_{i=1}^3 \gamma_i",
         r"\hat{\pi} = \frac{\gamma_1 + \gamma_2 + \gamma_3}{3}"],
        r"\hat\pi = \gamma_1 + \gamma_2 + \gamma_3",  # not normalised
        r"\hat\pi_2 = 1 - \frac13\sum_{i=1}^3 \gamma_i",  # the other component's weight
    ),
    "sampling.is.unbiased": (
        [r"\mathbb E_{q(z)}\left[\frac{p(x, z)}{q(z)}\right] = p(x)",
         r"\mathbb{E}_{z \sim q}\left[\frac{p(x \mid z)\, p(z)}{q(z)}\right] = "
         r"\frac{1}{\sqrt{2\pi}\sqrt{w^2 + s^2}} \exp\left(-\frac{x^2}{2(w^2 + s^2)}\right)"],
        # the likelihood at z = 0 for the evidence (the latent's w^2 dropped)
        r"\mathbb E_{q(z)}\left[\frac{p(x, z)}{q(z)}\right] = "
        r"\frac{1}{\sqrt{2\pi s^2}} \exp\left(-\frac{x^2}{2 s^2}\right)",
        r"\mathbb E_{q(z)}\left[\frac{p(z)}{q(z)}\right] = 1",
    ),
    "sampling.rbm.free-energy": (
        [r"F(\mathbf v) = -b_1 v_1 - b_2 v_2 - \log\left(1 + e^{c_1 + w_{11} v_1 + w_{21} v_2}\right)"
         r" - \log\left(1 + e^{c_2 + w_{12} v_1 + w_{22} v_2}\right)",
         r"F(v) = -b_1 v_1 - b_2 v_2 - \sum_{j=1}^2 \log(1 + \exp(c_j + w_{1j} v_1 + w_{2j} v_2))"],
        r"F(v) = -b_1 v_1 - b_2 v_2 - \log(1 + e^{c_1 + w_{11} v_1 + w_{21} v_2})"
        r" - \log(1 + e^{c_2 + w_{21} v_1 + w_{22} v_2})",  # W's indices swapped in the second unit
        r"F(x) = 1 - e^{-\lambda x}",  # a distribution function
    ),
}

# the correct form the flag gives, in the lecture's names (a fragment of its LaTeX)
CORRECT = {
    "sampling.gibbs.conditional-mean": r"\rho s_1",
    "sampling.gibbs.conditional-variance": r"\rho^{2}",
    "sampling.mc.standard-error": r"\sqrt{n}",
    "map.beta-bernoulli": r"- 2",
    "latent.ppca.noise-mle": r"c_{12}",
}


def scan_one(tmp_path, latex: str):
    (record,) = scan_text(tmp_path, f"$${latex}$$")
    return record


@pytest.mark.parametrize("claim_id, index", [(c, i) for c, case in CASES.items() for i in range(len(case[0]))])
def test_a_right_statement_in_another_notation_is_proved(tmp_path, claim_id, index):
    record = scan_one(tmp_path, CASES[claim_id][0][index])
    assert (record.kind, record.verdict, record.claim) == ("known", "proved", claim_id), record.reason


@pytest.mark.parametrize("claim_id", sorted(CASES))
def test_a_planted_mistake_is_flagged_with_a_counterexample_and_the_correct_form(tmp_path, claim_id):
    record = scan_one(tmp_path, CASES[claim_id][1])
    assert (record.kind, record.verdict, record.claim) == ("known", "disagrees", claim_id), record.reason
    assert "as written" in record.evidence and "derived" in record.evidence
    assert record.correct
    if claim_id in CORRECT:
        assert CORRECT[claim_id] in record.correct, record.correct


@pytest.mark.parametrize("claim_id", sorted(CASES))
def test_a_twin_with_a_similar_left_side_is_not_flagged(tmp_path, claim_id):
    record = scan_one(tmp_path, CASES[claim_id][2])
    assert record.verdict != "disagrees", (record.claim, record.reason, record.evidence)
    assert record.claim != claim_id


def test_the_new_recognisers_compile_and_are_registered():
    from derivspec.scan.known import Recogniser

    recogniser = Recogniser.load()
    assert not recogniser.errors
    assert set(CASES) <= {shape.claim_id for shape in recogniser.shapes}
