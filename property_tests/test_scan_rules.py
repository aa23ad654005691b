"""derivspec scan: the rewriting rules for opaque quantities (issue 15 follow-up).

Expectations, variances, covariances, entropies, mutual information and KL divergences are
written through one notation before two sides are compared (``derivspec.scan.algebra``,
``derivspec.scan.information``); means and variances of named distributions are known
(``derivspec.scan.moments``); definite integrals without parameters are evaluated. Each rule is
tested on a wrong statement it must flag and on twins -- the statement written correctly, or a
statement the rule must leave alone -- that must not be flagged.
"""

from __future__ import annotations

import pytest

from scanning import scan_text

SQUARE = "We write expectations as $E[X]$.\n\n"  # a lecture that writes E[.]: its E(.) is an expectation


def verdict_of(tmp_path, text: str, needle: str) -> str:
    records = [r for r in scan_text(tmp_path, text) if needle in r.text]
    assert records, f"no statement containing {needle!r}"
    return records[-1].verdict


def never_flagged(tmp_path, text: str):
    records = scan_text(tmp_path, text)
    assert [r for r in records if r.verdict == "disagrees"] == [], [(r.text, r.reason) for r in records
                                                                    if r.verdict == "disagrees"]


# --- expectations, variances, covariances --------------------------------------------------------

MSE = (r"$$\mathrm{MSE} = E[(\hat{\theta} - \theta)^2] = E[\hat{\theta}^2] + E[\theta^2] {sign} 2E[\hat{\theta}\theta]"
       r" = \mathrm{Var}[\hat{\theta}] + E[\hat{\theta}]^2 + \mathrm{Var}[\theta] + E[\theta]^2 - 2E[\hat{\theta}]E[\theta]$$")


def test_a_sign_flip_in_an_expanded_expectation_is_flagged(tmp_path):
    assert verdict_of(tmp_path, MSE.replace("{sign}", "+") + "\n", "MSE") == "disagrees"


def test_the_expanded_expectation_written_correctly_is_not_flagged(tmp_path):
    # the last step uses independence (E[theta_hat theta] = E[theta_hat] E[theta]): left undecided
    records = scan_text(tmp_path, MSE.replace("{sign}", "-") + "\n")
    (record,) = records
    assert record.verdict == "unchecked"
    assert [s["verdict"] for s in record.to_json()["steps"]][1] == "proved"


@pytest.mark.parametrize("text, expected", [
    (r"$$\mathrm{Var}(X+Y) = \mathrm{Var}(X) + \mathrm{Var}(Y) + 2\mathrm{Cov}(X, Y)$$", "proved"),
    (r"$$\mathrm{Var}(X+Y) = \mathrm{Var}(X) + \mathrm{Var}(Y) + \mathrm{Cov}(X, Y)$$", "disagrees"),
    # independent X and Y: true under a condition the step does not show, not decided
    (r"$$\mathrm{Var}(X+Y) = \mathrm{Var}(X) + \mathrm{Var}(Y)$$", "unchecked"),
    (r"$$\sigma^2 = \mathrm{Var}(X) = E[(X - E[X])^2] = E[X^2] - E[X]^2$$", "proved"),
    (r"$$\sigma^2 = \mathrm{Var}(X) = E[(X - E[X])^2] = E[X^2] + E[X]^2$$", "disagrees"),
    (r"$$\mathrm{Cov}(X, X) = \mathrm{Var}(X)$$", "proved"),
])
def test_variance_and_covariance_are_their_definitions(tmp_path, text, expected):
    assert verdict_of(tmp_path, text + "\n", "Var") == expected


def test_a_name_beside_an_expectation_is_a_constant(tmp_path):
    text = SQUARE + "For numbers $a$ and $b$: $E[aX + b] = aE[X] + b$, and $E[aX + b] = aE[X] - b$.\n"
    records = [r for r in scan_text(tmp_path, text) if "E[aX + b]" in r.text]
    assert [r.verdict for r in records] == ["proved", "disagrees"]


def test_a_name_only_inside_expectations_may_be_random(tmp_path):
    # b appears only inside E: it may be a random variable, and E[aX + b] = aE[X] is not decided
    never_flagged(tmp_path, SQUARE + "$$E[aX + b] = aE[X] + a$$\n\n$$\\mathrm{Var}(aX+b) = a^2\\mathrm{Var}(X)$$\n")


def test_a_coefficient_that_is_a_constant_is_checked(tmp_path):
    wrong = r"$$\mathrm{Cov}(X, Y) = \mathrm{Cov}(X, aX+b) = a\mathrm{Cov}(X, X) = a^2\mathrm{Var}(X)$$"
    right = wrong.replace("a^2\\mathrm{Var}", "a\\mathrm{Var}")
    assert verdict_of(tmp_path, wrong + "\n", "Cov") == "disagrees"
    never_flagged(tmp_path, right + "\n")


def test_parentheses_read_as_an_expectation_only_in_a_lecture_that_writes_square_brackets(tmp_path):
    wrong = r"$$\mathrm{bias}(\hat{\theta}) = E(\hat{\theta} - \theta) = E(\hat{\theta}) + \theta$$" + "\n"
    right = wrong.replace(") + \\theta", ") - \\theta")
    assert verdict_of(tmp_path, SQUARE + wrong, "bias") == "disagrees"
    assert verdict_of(tmp_path, SQUARE + right, "bias") == "proved"
    never_flagged(tmp_path, wrong)  # E(.) may be a function E (an energy): no expectation rule applies


def test_a_square_root_dropped_is_flagged(tmp_path):
    wrong = SQUARE + r"$$\sigma_{\hat\theta} = \sqrt{\mathrm{Var}(\hat\theta)} = E[(\hat\theta - E[\hat\theta])^2]$$" + "\n"
    right = wrong.replace("= E[(", "= \\sqrt{E[(").replace("^2]$$", "^2]}$$")
    assert verdict_of(tmp_path, wrong, "sigma") == "disagrees"
    assert verdict_of(tmp_path, right, "sigma") == "proved"


# --- moment notation ---------------------------------------------------------------------------

def test_mu_and_sigma_of_a_random_variable_are_its_mean_and_standard_deviation(tmp_path):
    text = SQUARE + ("For numbers $a$ and $b$, $\\mu_{aX+b} = a\\mu_X + b$ and $\\mu_{X+Y} = \\mu_X + \\mu_Y$ "
                     "and $\\sigma_X = \\sqrt{\\mathrm{Var}(X)}$, but not $\\mu_{aX+b} = a\\mu_X - b$.\n")
    records = [r for r in scan_text(tmp_path, text) if "mu" in r.text or "sigma" in r.text]
    assert [r.verdict for r in records] == ["proved", "proved", "proved", "disagrees"]


def test_moment_notation_left_alone_where_it_means_something_else(tmp_path):
    # sigma_{XY} is a covariance, mu_1 a parameter; sigma_{aX+b} = |a| sigma_X needs b to be a number,
    # which the step does not say (b appears only inside the subscript)
    never_flagged(tmp_path, SQUARE + "$$\\sigma_{XY} = \\mathrm{Cov}(X, Y) = E[XY] - E[X]E[Y]$$\n\n"
                  "$$\\mu_1 = 2\\mu_2$$\n\n$$\\sigma_{Y} = \\sigma_{aX+b} = |a|\\sigma_{X}$$\n\n"
                  "$$\\sigma_{Y} = \\sigma_{aX+b} = a^2\\sigma_{X}$$\n")


# --- entropies and mutual information ------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    (r"$$H(Y \mid X) = H(X, Y) - H(X)$$", "proved"),
    (r"$$H(Y \mid X) = H(X, Y) + H(X)$$", "disagrees"),
    (r"$$I(X, Y) = H(X, Y) - H(Y \mid X) - H(X \mid Y)$$", "proved"),
    (r"$$I(X, Y) = H(X, Y) - H(Y \mid X) + H(X \mid Y)$$", "disagrees"),
    (r"$$I(X; Y) = H(X) - H(X \mid Y) = H(Y) - H(Y \mid X)$$", "proved"),
    (r"$$I(X; Y) = H(X) - H(X \mid Y) = H(Y) + H(Y \mid X)$$", "disagrees"),
    (r"$$H(X) + H(Y \mid X) = H(Y, X)$$", "proved"),
])
def test_entropy_chain_rule_and_mutual_information(tmp_path, text, expected):
    assert verdict_of(tmp_path, text + "\n", "H(") == expected


def test_a_cross_entropy_is_not_a_joint_entropy(tmp_path):
    # H(P, Q) of distributions is not symmetric, unlike H(X, Y) of random variables
    assert verdict_of(tmp_path, "$$H(P) + H(P, Q) = H(Q, P) + H(P)$$\n", "H(P") != "proved"
    assert verdict_of(tmp_path, "$$H(X) + H(X, Y) = H(Y, X) + H(X)$$\n", "H(X") == "proved"


# --- KL divergence, entropy and cross-entropy of distributions ------------------------------------

KL_FORMS = [
    r"$$D_{\mathrm{KL}}(p \| q) = \mathbb{E}_{x \sim p}\left[\log \frac{{A}(x)}{{B}(x)}\right]$$",
    r"$$\mathrm{KL}(p_{\text{data}} \| p_\theta) = \int p_{\text{data}}(x) \log \frac{{A}}{{B}}\, dx$$",
    r"$$\mathrm{KL}(p \| q) = \sum_y p(y) \log \frac{{A}(y)}{{B}(y)}$$",
]


@pytest.mark.parametrize("form", range(len(KL_FORMS)))
def test_kl_written_as_an_expectation(tmp_path, form):
    template = KL_FORMS[form]
    if form == 1:
        right = template.replace("{A}", r"p_{\text{data}}(x)").replace("{B}", r"p(x \mid \theta)")
        wrong = template.replace("{A}", r"p(x \mid \theta)").replace("{B}", r"p_{\text{data}}(x)")
    else:
        right = template.replace("{A}", "p").replace("{B}", "q")
        wrong = template.replace("{A}", "q").replace("{B}", "p")
    assert verdict_of(tmp_path, right + "\n", "KL") == "proved"
    assert verdict_of(tmp_path, wrong + "\n", "KL") == "disagrees"


def test_kl_in_bits_in_a_lecture_that_takes_logs_in_base_2(tmp_path):
    text = ("Logarithms are in base 2 throughout.\n\n"
            r"$$D_{\mathrm{KL}}(P \| Q) = E_{x \sim P}\left[\log \frac{p(x)}{q(x)}\right]$$" + "\n")
    assert verdict_of(tmp_path, text, "KL") == "proved"


@pytest.mark.parametrize("text, expected", [
    (r"$$H(p, q) = -\mathbb{E}_{p}[\log q(y)] = H(p) + \mathrm{KL}(p \| q)$$", "proved"),
    (r"$$\mathrm{KL}(p \| q) = H(p, q) - H(p) = H(p, q) + H(p)$$", "disagrees"),
])
def test_cross_entropy_is_entropy_plus_kl(tmp_path, text, expected):
    assert verdict_of(tmp_path, text + "\n", "KL") == expected


def test_kl_statements_the_rule_leaves_alone(tmp_path):
    never_flagged(tmp_path, "\n\n".join([
        r"$$\mathrm{KL}(p \| q) = 0$$",  # a special case (q = p), not an identity
        r"$$\mathbb{E}_p[\log p(x)] - \mathbb{E}_p[\log q(x)] = 0$$",
        # the density of the subscript's distribution is not the one in the log: left as written
        r"$$\mathrm{KL}(q(z \mid x) \| p(z)) = \mathbb{E}_{q}[\log q(z)] - \mathbb{E}_{q}[\log p(z)]$$",
        # a factorisation relates different densities: not decided
        r"$$\mathrm{KL}(q(z \mid x) \| p(z \mid x)) = \mathbb{E}_{q(z \mid x)}[\log q(z \mid x)] - "
        r"\mathbb{E}_{q(z \mid x)}[\log p(x, z)] + \log p(x)$$",
    ]) + "\n")


# --- named distributions --------------------------------------------------------------------------

@pytest.mark.parametrize("law, statement, expected", [
    (r"\mathrm{Binomial}(n, p)", r"\sigma_X^2 = np(1-p)", "proved"),
    (r"\mathrm{Binomial}(n, p)", r"\sigma_X^2 = np(1+p)", "disagrees"),
    (r"\mathrm{Binomial}(n, p)", r"\mathrm{Var}(X) = n(1-p)", "disagrees"),
    (r"\mathrm{Bernoulli}(p)", r"\mu_X = p", "proved"),
    (r"\mathrm{Poisson}(\lambda)", r"\sigma_X^2 = \lambda^2", "disagrees"),
    (r"\mathcal{N}(\mu, \sigma^2)", r"\sigma_X^2 = \sigma", "disagrees"),
    (r"U(a, b)", r"\mu_X = \frac{a+b}{2}", "proved"),
    (r"U(a, b)", r"\sigma_X^2 = \frac{(b+a)^2}{12}", "disagrees"),
    # any family of the families table, in its own letters (moments read the table's mean and variance rows)
    (r"\mathrm{Laplace}(m, c)", r"\sigma_X^2 = 2c^2", "proved"),
    (r"\mathrm{Laplace}(m, c)", r"\sigma_X^2 = c^2", "disagrees"),
    (r"\mathrm{Binom}(k, q)", r"\mu_X = kq", "proved"),
])
def test_the_mean_and_variance_of_a_named_distribution(tmp_path, law, statement, expected):
    text = f"If $X \\sim {law}$, then:\n\n* ${statement}$.\n"
    assert verdict_of(tmp_path, text, statement[:6]) == expected


@pytest.mark.parametrize("text", [
    # a parameter left out: its value may come from the prose (p = 1/2)
    "If $X \\sim \\mathrm{Binomial}(n, p)$ with a fair coin, then $\\sigma_X^2 = n/4$.\n",
    # N(mu, sigma) with a bare second argument: a standard deviation in some lectures
    "If $X \\sim \\mathcal{N}(\\mu, \\sigma)$, then $\\sigma_X^2 = \\sigma$.\n",
    # another variable than the one given a distribution
    "If $X \\sim \\mathrm{Bernoulli}(p)$, then $\\mu_Y = 2p$.\n",
    # given a distribution too far before
    "If $X \\sim \\mathrm{Bernoulli}(p)$.\n" + "\n" * 30 + "Then $\\sigma_X^2 = p$.\n",
    # a worked value
    "If $X \\sim \\mathrm{Poisson}(\\lambda)$ with a rate of three, $\\mu_X = 3$.\n",
    # a family some notes write with a scale, others with a rate (the table records both readings): either mean
    "If $X \\sim \\mathrm{Gamma}(k, \\theta)$, then $\\mu_X = k\\theta$.\n",
    "If $X \\sim \\mathrm{Exp}(\\beta)$, then $\\mu_X = \\beta$.\n",
])
def test_named_distributions_left_alone(tmp_path, text):
    never_flagged(tmp_path, text)


def test_a_named_law_set_up_in_prose_above_a_display_is_read(tmp_path):
    # the style lectures use: the law in a sentence, other prose between, the moments in displays below
    text = ("We model the measurement error with heavier tails than a Gaussian. Let $E \\sim \\mathrm{Laplace}(0, c)$\n"
            "be the error of one reading, independent across readings.\n\n"
            "The scale $c$ is what the calibration fixes; its spread is then\n\n"
            "$$\\mathrm{Var}(E) = 2c^2$$\n\n"
            "and, for the slip a student makes,\n\n"
            "$$\\mathrm{Var}(E) = c^2 + 1$$\n")
    records = scan_text(tmp_path, text)
    verdicts = {r.text.strip("$ "): r.verdict for r in records if "Var" in r.text}
    assert verdicts == {r"\mathrm{Var}(E) = 2c^2": "proved", r"\mathrm{Var}(E) = c^2 + 1": "disagrees"}, verdicts


def test_a_moment_that_exists_only_under_a_condition_is_not_proved_without_it(tmp_path):
    # Student-t's mean 0 needs nu > 1, which nothing here states: not proved (nor flagged)
    text = "If $X \\sim \\mathrm{St}(\\nu)$, then $\\mu_X = 0$.\n"
    assert verdict_of(tmp_path, text, "\\mu_X") not in ("proved", "disagrees")


# --- integrals and products ----------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    (r"$$\int_0^\infty x^2 e^{-x} \, dx = 2$$", "proved"),
    (r"$$\int_0^\infty x^2 e^{-x} \, dx = 1$$", "disagrees"),
    (r"$$\mu = \int_{-\infty}^\infty x p(x) \, dx = \int_0^1 x \, dx = \frac{1}{2}$$", "unchecked"),
    (r"$$\mu = \int_{-\infty}^\infty x p(x) \, dx = \int_0^1 x \, dx = \frac{1}{3}$$", "disagrees"),
])
def test_definite_integrals_without_parameters_are_evaluated(tmp_path, text, expected):
    assert verdict_of(tmp_path, text + "\n", "int") == expected


def test_integrals_the_rule_leaves_alone(tmp_path):
    never_flagged(tmp_path, "\n\n".join([
        r"$$\int_1^\infty \frac{1}{x} \, dx = \infty$$",  # divergent
        r"$$\int_0^\infty e^{-a x} \, dx = \frac{1}{a}$$",  # a parameter
        r"$$\int_{-\infty}^\infty p(x) \, dx = 1$$",  # an undefined density
    ]) + "\n")


def test_the_log_of_a_product_is_the_sum_of_the_logs(tmp_path):
    right = r"$$\ell = \log \prod_{i=1}^n a_i b_i = \sum_{i=1}^n \log a_i + \sum_{i=1}^n \log b_i$$"
    wrong = right.replace("+ \\sum", "- \\sum")
    assert verdict_of(tmp_path, right + "\n", "prod") == "proved"
    assert verdict_of(tmp_path, wrong + "\n", "prod") == "disagrees"


# --- third round: functions the document defines, log-probabilities, notation -------------------

LIKELIHOOD = r"$$P(D \mid \theta) = \prod_{i=1}^{N} P(y_i \mid u_i, \theta)$$" + "\n\nso that\n\n"


@pytest.mark.parametrize("later, expected", [
    (r"$$\log P(D \mid \theta) = \sum_{i=1}^{N} \log P(y_i \mid u_i, \theta)$$", "proved"),
    (r"$$\log P(D \mid \theta) = -\sum_{i=1}^{N} \log P(y_i \mid u_i, \theta)$$", "disagrees"),
    (r"$$-\log P(D \mid \theta) = \sum_{i=1}^{N} -\log P(y_i \mid u_i, \theta)$$", "proved"),
    (r"$$-\log P(D \mid \theta) = \sum_{i=1}^{N} \log P(y_i \mid u_i, \theta)$$", "disagrees"),
])
def test_a_function_defined_in_an_earlier_display_is_used(tmp_path, later, expected):
    assert verdict_of(tmp_path, LIKELIHOOD + later + "\n", r"\log P(D") == expected


@pytest.mark.parametrize("text", [
    # defined twice, differently: ambiguous, not used
    LIKELIHOOD + r"$$P(D \mid \theta) = \prod_{i=1}^{N} Q(y_i)$$" + "\n\n"
    r"$$\log P(D \mid \theta) = -\sum_{i=1}^{N} \log P(y_i \mid u_i, \theta)$$",
    # used before it is defined
    r"$$\log P(D \mid \theta) = -\sum_{i=1}^{N} \log P(y_i \mid u_i, \theta)$$" + "\n\nwhere\n\n" + LIKELIHOOD,
    # a different function that only contains the name: \hat{P}(D | theta), \mathcal{P}(D | theta)
    LIKELIHOOD + r"$$\log \hat{P}(D \mid \theta) = -\sum_{i=1}^{N} \log P(y_i \mid u_i, \theta)$$" + "\n\n"
    r"$$\log \mathcal{P}(D \mid \theta) = -\sum_{i=1}^{N} \log P(y_i \mid u_i, \theta)$$",
])
def test_definitions_the_rule_does_not_use(tmp_path, text):
    never_flagged(tmp_path, text + "\n")


@pytest.mark.parametrize("between", [
    "text\n\n" * 70,  # a definition stated anywhere above is in force (issue 42), however far
    r"$$P(D \mid \theta) \approx 0.5$$" + "\n\n",  # a value stated of it is no second definition
])
def test_a_definition_far_above_or_beside_a_value_is_still_in_force(tmp_path, between):
    text = LIKELIHOOD + between + r"$$\log P(D \mid \theta) = -\sum_{i=1}^{N} \log P(y_i \mid u_i, \theta)$$" + "\n"
    assert verdict_of(tmp_path, text, r"\log P(D") == "disagrees"


def test_only_a_log_probability_is_never_its_own_negative(tmp_path):
    # E[X] = E[-X] = -E[X] is how a symmetry argument shows a mean is zero: not flagged
    never_flagged(tmp_path, r"$$\mathbb{E}[X] = \mathbb{E}[-X] = -\mathbb{E}[X]$$" + "\n")
    # a sum of log-probabilities flipped in a chain is a sign slip
    chain = r"$$\ell = \log \prod_{i=1}^n P(y_i) = {sign}\sum_{i=1}^n \log P(y_i)$$" + "\n"
    assert verdict_of(tmp_path, chain.replace("{sign}", ""), "prod") == "proved"
    assert verdict_of(tmp_path, chain.replace("{sign}", "-"), "prod") == "disagrees"


@pytest.mark.parametrize("text, expected", [
    (r"$$1 - 0.05 = 95\%$$", "proved"),
    (r"$$1 - 0.05 = 90\%$$", "disagrees"),
    (r"$$\frac{1}{4} = 25\%$$", "proved"),
])
def test_percentages_are_read(tmp_path, text, expected):
    assert verdict_of(tmp_path, text + "\n", "%") == expected


@pytest.mark.parametrize("text, expected", [
    (r"$$\log \prod_{i=1}^n p(\mathbf{x}^{(i)}) = \sum_{i=1}^n \log p(\mathbf{x}^{(i)})$$", "proved"),
    (r"$$\log \prod_{i=1}^n p(x^{(i)}) = \sum_{i=1}^n \log p(x^{(i)})$$", "proved"),
])
def test_a_superscript_index_of_a_sum_is_the_example_index(tmp_path, text, expected):
    assert verdict_of(tmp_path, text + "\n", "prod") == expected


def test_superscripts_outside_a_sum_over_them_are_left_alone(tmp_path):
    never_flagged(tmp_path, "\n\n".join([
        r"$$\sum_{j=1}^n x^{(i)} = n x^{(i)}$$",  # summed over j: x^{(i)} is a constant of the sum
        r"$$f^{(i)}(x) = \frac{d^i f}{dx^i}$$",
    ]) + "\n")


BERNOULLI_LOG_LIKELIHOOD = (r"$$l(\theta) = \log \prod_{i=1}^n \pi_i^{y_i} (1 - \pi_i)^{1 - y_i}"
                            r" = \sum_{i=1}^n y_i \log(\pi_i) {sign} (1 - y_i) \log (1 - \pi_i)$$")


def test_a_sum_whose_index_is_used_after_it_closes_extends_to_the_end(tmp_path):
    # the terms after '+' use the index i: the sum can only extend over them
    assert verdict_of(tmp_path, BERNOULLI_LOG_LIKELIHOOD.replace("{sign}", "+") + "\n", "prod") == "proved"
    assert verdict_of(tmp_path, BERNOULLI_LOG_LIKELIHOOD.replace("{sign}", "-") + "\n", "prod") == "disagrees"


def test_sums_closed_before_terms_without_their_index_are_left_as_read(tmp_path):
    never_flagged(tmp_path, "\n\n".join([
        r"$$\ell = \log \prod_{i=1}^n a_i c = \sum_{i=1}^n \log a_i + n \log c$$",
        r"$$s = \sum_{i=1}^n x_i + y = y + \sum_{i=1}^n x_i$$",
    ]) + "\n")


@pytest.mark.parametrize("text, expected", [
    (r"For random variables $X, Y$ and numbers $a$ and $b$, $\mathrm{Cov}(aX+b, Y) = a\mathrm{Cov}(X, Y)$." + "\n",
     "proved"),
    (r"For random variables $X, Y$ and numbers $a$ and $b$, $\mathrm{Cov}(aX+b, Y) = a^2\mathrm{Cov}(X, Y)$." + "\n",
     "disagrees"),
    (r"For random variables $X, Y$ and constants $a, b \in \mathbb{R}$, $\mathrm{Cov}(aX+b, Y) = a\mathrm{Cov}(X, Y)$." + "\n",
     "proved"),
    # nothing says a and b are numbers: they may be random, the step is left alone
    (r"For random variables $X, Y, a$ and $b$, $\mathrm{Cov}(aX+b, Y) = a^2\mathrm{Cov}(X, Y)$." + "\n",
     "unchecked"),
])
def test_names_the_sentence_calls_numbers_come_out_of_moments(tmp_path, text, expected):
    assert verdict_of(tmp_path, text, "Cov") == expected
