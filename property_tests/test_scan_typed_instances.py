r"""Statements checked as a person checks a line, by plugging in instances of their types (issue 89): a discrete joint
law and its marginals, a Bayes network summed over a variable, expectations of functions of random variables, matrix
identities at random sizes, unrolled gradient-descent and momentum iterates, a derivative of a function defined lines
above, a name restated far below its definition.

Every document is written for this test. Each group holds right statements, which the scan must judge (proved, or
holding on instances) and wrong twins, which it must flag with the instance it failed on -- in two letterings
(``«a»`` placeholders), so that no letter decides a verdict.
"""

from __future__ import annotations

import re

import pytest

from scanning import scan_text

LETTERINGS = (
    {"A": "A", "B": "B", "C": "C", "a": "a", "b": "b", "c": "c", "X": "X", "Y": "Y", "x": "x", "y": "y", "g": "g",
     "M": "M", "N": "N", "P": "P", "Q": "Q", "w": "w", "k": "k", "e": "\\eta", "h": "h", "m": "m", "v": "v",
     "t": "t", "L": "L", "th": "\\theta", "q": "q", "s": "s", "j": "j", "l": "l", "r": "r"},
    {"A": "U", "B": "V", "C": "W", "a": "u", "b": "v", "c": "w", "X": "S", "Y": "T", "x": "s", "y": "t", "g": "\\phi",
     "M": "F", "N": "G", "P": "K", "Q": "R", "w": "z", "k": "n", "e": "\\gamma", "h": "d", "m": "u", "v": "p",
     "t": "i", "L": "J", "th": "\\beta", "q": "\\pi", "s": "o", "j": "r", "l": "i", "r": "n"},
)

# (group, document, lines of the right statements, lines of the wrong twins)
DOCUMENTS = [
    ("joint law and its marginals", r"""
Two switches $«A»$ and $«B»$ are on or off; their joint law is a table with one cell per pair of states.

Summing a row of the table gives the marginal of the first switch:

$$
P(«A»=«a») = \sum_{«b»} P(«A»=«a», «B»=«b»)  % right
$$

and dividing a cell by its row sum gives a conditional:

$$
p(«b» \mid «a») = \frac{p(«a», «b»)}{\sum_{«b»'} p(«a», «b»')}  % right
$$

Two slips a student might make:

$$
P(«B»=«b» \mid «A»=«a») = \frac{P(«A»=«a», «B»=«b»)}{P(«B»=«b»)}  % wrong
$$

$$
p(«b» \mid «a») = \frac{p(«a», «b»)}{\sum_{«b»'} p(«b»')}  % wrong
$$
"""),
    ("Bayes network summed over a variable", r"""
A chain of three nodes $«A» \to «B» \to «C»$ has joint law $p(«a», «b», «c») = p(«a») p(«b» \mid «a») p(«c» \mid «b»)$.

Eliminating the middle node,

$$
p(«a», «c») = \sum_{«b»} p(«a») p(«b» \mid «a») p(«c» \mid «b»)  % right
$$

and eliminating the first two,

$$
p(«c») = \sum_{«a»} \sum_{«b»} p(«a») p(«b» \mid «a») p(«c» \mid «b»)  % right
$$

A factor dropped, and a sum forgotten:

$$
p(«a», «c») = \sum_{«b»} p(«a») p(«b» \mid «a»)  % wrong
$$

$$
p(«c») = \sum_{«b»} p(«a») p(«b» \mid «a») p(«c» \mid «b»)  % wrong
$$
"""),
    ("expectations of functions of random variables", r"""
Let $«X»$ and $«Y»$ be random variables. Conditioning on the second and averaging back gives the tower rule

$$
\mathbb{E}[«g»(«X»)] = \sum_{«y»} \mathbb{E}[«g»(«X») \mid «Y»=«y»] P(«Y»=«y»)  % right
$$

Covariance and variance by their definitions:

$$
\mathrm{Cov}(«X», «Y») = \mathbb{E}[«X»«Y»] - \mathbb{E}[«X»]\mathbb{E}[«Y»]  % right
$$

$$
\mathbb{E}[«X» + «Y»] = \mathbb{E}[«X»] + \mathbb{E}[«Y»]  % right
$$

Wrong versions:

$$
\mathbb{E}[«X»] = \sum_{«y»} \mathbb{E}[«X» \mid «Y»=«y»]  % wrong
$$

$$
\mathrm{Cov}(«X», «Y») = \mathbb{E}[«X»«Y»] - \mathbb{E}[«X»]  % wrong
$$

$$
\mathbb{E}[«X» + «Y»] = \mathbb{E}[«X»] + 2\mathbb{E}[«Y»]  % wrong
$$
"""),
    ("variance of a sum of independent variables", r"""
Suppose $«X»$ and $«Y»$ are independent. Then the cross term vanishes:

$$
\mathrm{Var}(«X» + «Y») = \mathrm{Var}(«X») + \mathrm{Var}(«Y»)  % right
$$

but not like this:

$$
\mathrm{Var}(«X» - «Y») = \mathrm{Var}(«X») - \mathrm{Var}(«Y»)  % wrong
$$
"""),
    ("matrix identities", r"""
Let $«M»$ be an $n \times n$ matrix and $«N»$ an $n \times n$ matrix. Transposing a product reverses it,

$$
(«M»«N»)^\top = «N»^\top «M»^\top  % right
$$

and for square invertible $«P»$ and $«Q»$,

$$
(«P»«Q»)^{-1} = «Q»^{-1} «P»^{-1}  % right
$$

Not reversed:

$$
(«M»«N»)^\top = «M»^\top «N»^\top  % wrong
$$

$$
(«P»«Q»)^{-1} = «P»^{-1} «Q»^{-1}  % wrong
$$
"""),
    ("unrolled gradient descent", r"""
Gradient descent on $\frac{1}{2} «h» «w»^2$ with step $«e»$ updates

$$
«w»_{«k»+1} = «w»_«k» - «e» «h» «w»_«k»
$$

Two steps from the start,

$$
«w»_2 = (1 - «e» «h»)^2 «w»_0  % right
$$

A step lost:

$$
«w»_2 = (1 - «e» «h») «w»_0  % wrong
$$
"""),
    ("unrolled momentum", r"""
Momentum keeps a velocity and a position,

$$
«v»_{«t»+1} = \mu «v»_«t» + «h» «m»_«t», \qquad «m»_{«t»+1} = «m»_«t» - \alpha «v»_{«t»+1}
$$

starting at rest, $«v»_0 = 0$. After two steps

$$
«m»_2 = «m»_0 - \alpha «h» «m»_0 - \alpha (\mu «h» «m»_0 + «h» («m»_0 - \alpha «h» «m»_0))  % right
$$

and with the momentum forgotten in the second step:

$$
«m»_2 = «m»_0 - \alpha «h» «m»_0 - \alpha («h» «m»_0 + «h» («m»_0 - \alpha «h» «m»_0))  % wrong
$$
"""),
    ("probabilities of a declared law", r"""
Arrivals in a minute are counted by $«X» \sim \mathrm{Pois}(«e»)$, and the wait for the next one is
$«Y» \sim \mathrm{Exp}(«e»)$ with rate $«e»$. The count takes the value $«k»$ with probability

$$
P(«X» = «k») = \frac{«e»^{«k»} e^{-«e»}}{«k»!}  % right
$$

and the wait is at most $«y»$ with probability

$$
P(«Y» \le «y») = 1 - e^{-«e» «y»}\ \ \text{for } «y» \ge 0  % right
$$

Two slips, a factorial lost and an exponent's sign:

$$
P(«X» = «k») = «e»^{«k»} e^{-«e»}  % wrong
$$

$$
P(«Y» \leq «y») = 1 - e^{«e» «y»}  % wrong
$$
"""),
    ("an antiderivative evaluated between bounds", r"""
Integrating a power between $0$ and $«b»$,

$$
\int_0^{«b»} «x»^2 \, d«x» = \left. \frac{«x»^3}{3} \right|_{0}^{«b»} = \frac{«b»^3}{3}  % right
$$

$$
\int_0^{«b»} «x»^3 \, d«x» = \Big[ \frac{«x»^4}{4} \Big]_{«x»=0}^{«x»=«b»} = \frac{«b»^4}{4}  % right
$$

and with the power rule misremembered:

$$
\int_0^{«b»} «x»^2 \, d«x» = \frac{«x»^3}{2} \Big|_{0}^{«b»}  % wrong
$$
"""),
    ("integrals with parameters", r"""
A waiting time with rate $«e»$ has density $«e» e^{-«e» «x»}$ on the positive half-line; it integrates to one,

$$
\int_0^\infty «e» e^{-«e» «x»} \, d«x» = 1  % right
$$

its mean is the reciprocal rate,

$$
\int_0^\infty «x» \, «e» e^{-«e» «x»} \, d«x» = \frac{1}{«e»}  % right
$$

and over a window of length $«b»$ a polynomial integrates term by term:

$$
\int_0^{«b»} (3«x»^2 + «e») \, d«x» = «b»^3 + «e» «b»  % right
$$

Two slips, a squared rate and a lost factor:

$$
\int_0^\infty «x» \, «e» e^{-«e» «x»} \, d«x» = \frac{1}{«e»^2}  % wrong
$$

$$
\int_0^{«b»} (3«x»^2 + «e») \, d«x» = «b»^3 + «e»  % wrong
$$
"""),
    ("sums written with an elision, series and powers written bare", r"""
Adding the first $«N»$ whole numbers pairs them from both ends:

$$
1 + 2 + \cdots + «N» = \frac{«N»(«N» + 1)}{2}  % right
$$

and a sum of named terms is the sum over their index,

$$
«x»_1 + «x»_2 + \dots + «x»_{«N»} = \sum_{«j»=1}^{«N»} «x»_{«j»}  % right
$$

The number of trials up to the first success with probability $«m»$ has a law that sums to one,

$$
\sum_{«k»=1}^{\infty} (1 - «m»)^{«k» - 1} «m» = 1  % right
$$

and a geometric series with ratio $«s»$ sums to

$$
\sum_{«k»=0}^{\infty} «m» «s»^{«k»} = \frac{«m»}{1 - «s»}  % right
$$

and a power written without braces differentiates as any other:

$$
\frac{d}{d«x»} «x»^\frac{3}{2} = \frac{3}{2} «x»^\frac{1}{2}  % right
$$

Three slips:

$$
1 + 2 + \dots + «N» = \frac{«N»(«N» - 1)}{2}  % wrong
$$

$$
\sum_{«k»=0}^{\infty} «m» «s»^{«k»} = \frac{«m»}{1 + «s»}  % wrong
$$

$$
\frac{d}{d«x»} «x»^\frac{3}{2} = \frac{3}{2} «x»^\frac{3}{2}  % wrong
$$
"""),
    ("derivative of a function defined above", r"""
The regularised loss of one example is

$$
«L»(«th») = («y» - «th» «x»)^2 + \lambda «th»^2
$$

The data term pulls towards the example, the penalty towards zero. Setting aside the algebra for a while, we
now differentiate it:

$$
\frac{d«L»}{d«th»} = -2«x»(«y» - «th» «x») + 2 \lambda «th»  % right
$$

and once more, with the penalty's factor lost:

$$
\frac{d«L»}{d«th»} = -2«x»(«y» - «th» «x») + \lambda «th»  % wrong
$$
"""),
]


def _lettered(text: str, letters: dict) -> str:
    return re.sub(r"«(\w+)»", lambda m: letters[m.group(1)], text)


def _by_line(records) -> dict:
    return {r.lines[0]: r for r in records}


def _marked(text: str, mark: str) -> list[int]:
    """The lines (from 1) whose math ends in the comment ``% mark``."""
    return [n for n, line in enumerate(text.splitlines(), 1) if line.rstrip().endswith(f"% {mark}")]


def _right_and_wrong(tmp_path, document: str) -> tuple:
    """The records of the one statement marked ``% right`` and the one marked ``% wrong``."""
    records = _by_line(scan_text(tmp_path, document))
    return records[_marked(document, "right")[0]], records[_marked(document, "wrong")[0]]


CASES = [(group, lettering) for group, _ in DOCUMENTS for lettering in range(len(LETTERINGS))]


@pytest.mark.parametrize("group, lettering", CASES, ids=[f"{g}-{n}" for g, n in CASES])
def test_right_statements_are_judged_and_wrong_twins_flagged_with_their_instance(tmp_path, group, lettering):
    text = _lettered(next(d for g, d in DOCUMENTS if g == group), LETTERINGS[lettering]).lstrip("\n")
    records = _by_line(scan_text(tmp_path, text))
    right, wrong = _marked(text, "right"), _marked(text, "wrong")
    assert right and wrong
    for line in right:
        record = records[line]
        assert record.verdict == "proved" or "holds on" in record.reason, (line, record.text, record.reason)
    for line in wrong:
        record = records[line]
        assert record.verdict == "disagrees", (line, record.text, record.reason)
        assert record.severity == "error", (line, record.reason)  # every reading it rests on is stated or notation
        assert "=" in (record.evidence or ""), (line, record.evidence)  # the instance: sizes and values


def test_a_name_restated_far_below_its_definition_is_proved_by_it_and_never_flagged(tmp_path):
    document = r"""A softmax over scores $\mathbf{s}$ is

$$
q_k = \frac{ e^{s_k} }{ \sum_{l=1}^m e^{s_l} }
$$

Much later, shifting every score by a constant $c$:

$$
q_k = \frac{ e^{s_k - c} e^{c} }{ \sum_{l=1}^m e^{s_l - c} e^{c} } = \frac{ e^{s_k - c} }{ \sum_{l=1}^m e^{s_l - c} }  % right
$$

$$
q_k = \frac{ e^{s_k - c} }{ \sum_{l=1}^m e^{s_l} }  % wrong
$$
"""
    right, wrong = _right_and_wrong(tmp_path, document)
    assert right.verdict == "proved" and "line 4" in right.reason, right.reason
    assert wrong.verdict != "disagrees", wrong.reason  # a letter may be reused: no flag from far above


def test_an_unrolled_iterate_whose_start_is_never_set_is_not_flagged(tmp_path):
    document = r"""Momentum keeps a velocity and a position,

$$
v_{t+1} = \mu v_t + h m_t, \qquad m_{t+1} = m_t - \alpha v_{t+1}
$$

After two steps

$$
m_2 = m_0 - \alpha h m_0 - \alpha (\mu h m_0 + h (m_0 - \alpha h m_0))  % right
$$
"""
    record = _by_line(scan_text(tmp_path, document))[_marked(document, "right")[0]]
    assert record.verdict != "disagrees" and "v_{0}" in record.reason, record.reason


def test_a_symbol_beside_a_random_variable_inside_an_expectation_is_no_random_variable(tmp_path):
    document = r"""Averages of squared deviations from the mean $\mu$ of $Z$ converge:

$$
\mathbb{E}[(Z - \mu)^2] = \mathbb{E}[Z^2] - \mu^2  % right
$$
"""
    record = _by_line(scan_text(tmp_path, document))[_marked(document, "right")[0]]
    assert record.verdict != "disagrees", record.reason  # μ is E[Z] in the text: no law of μ is drawn


@pytest.mark.parametrize("p, x", [("p", "x"), ("q", "s")])
def test_a_standard_definition_restated_in_bits_is_proved_and_a_slip_in_it_flagged(tmp_path, p, x):
    document = (f"The entropy of a distribution ${p}$ measures its average surprise:\n\n"
                f"$$\nH({p}) = \\sum_{x} {p}({x})\\log_2\\left(\\frac{{1}}{{{p}({x})}}\\right)  % right\n$$\n\n"
                f"and with the fraction lost:\n\n$$\nH({p}) = \\sum_{x} {p}({x})\\log_2 {p}({x})  % wrong\n$$\n")
    right, wrong = _right_and_wrong(tmp_path, document)
    assert right.verdict == "proved" and "bits" in right.reason, right.reason
    assert wrong.verdict == "disagrees", wrong.reason


@pytest.mark.parametrize("E, F", [("X", "A"), ("B", "H")])
def test_events_joined_by_words_and_negated_by_a_tilde(tmp_path, E, F):
    document = (f"By the law of total probability,\n\n$$\nP({E}) = P({E} \\text{{ and }} {F}) + P({E} \\text{{ and }} "
                f"\\sim {F}) = P({E}|{F})P({F}) + P({E} | \\sim {F})P(\\sim {F})  % right\n$$\n\nand with a slip,\n\n"
                f"$$\nP({E}) = P({E}|{F})P({F}) + P({E} | \\sim {F})P({F})  % wrong\n$$\n")
    right, wrong = _right_and_wrong(tmp_path, document)
    assert right.verdict == "proved", right.reason
    assert wrong.verdict == "disagrees" and "atoms" in wrong.reason, wrong.reason


def test_a_name_beside_expectations_on_both_sides_is_no_random_variable_and_no_crash(tmp_path):
    """F^2 E[X] = F^2 E[Y]: F stands outside the expectations (a value), though the difference of the sides cancels
    it when every expectation is read as 1 -- once an internal error, 'cannot determine truth value'."""
    document = "Scaling both sides,\n\n$$\nF^2 \\mathbb{E}[X] = F^2 \\mathbb{E}[Y]  % right\n$$\n"
    record = _by_line(scan_text(tmp_path, document))[_marked(document, "right")[0]]
    assert "internal error" not in record.reason and record.verdict != "disagrees", record.reason


def test_an_instance_of_a_definition_at_every_index_is_proved_and_another_never_flagged(tmp_path):
    """``h_t`` defined at every index, then "for example" ``h_1``: the definition at t = 1 (proved); ``h_2`` with
    another argument is a new example or a slip (no flag); ``x_0`` inside the definition is its input, no instance."""
    document = r"""A recurrent layer computes each state from its input:

$$
h_t = \tanh(W x_t + b)
$$

For example, the first state is

$$
h_1 = \tanh(W x_1 + b)  % right
$$

$$
h_2 = \tanh(W x_3 + b)  % wrong
$$
"""
    right, wrong = _right_and_wrong(tmp_path, document)
    assert right.verdict == "proved" and "line 4" in right.reason, right.reason
    assert wrong.verdict != "disagrees", wrong.reason


@pytest.mark.parametrize("s, z", [("\\sigma", "z"), ("\\sigma", "u")])
def test_a_known_quantity_defined_with_colon_equals_is_proved_and_never_flagged(tmp_path, s, z):
    """``σ(z) := 1/(1 + e^{-z})`` names no new quantity: proved as the logistic function; a different right side is
    the author's own meaning (``:=``), not flagged."""
    document = (f"The squashing function is\n\n$$\n{s}({z}) := \\frac{{1}}{{1 + e^{{-{z}}}}}  % right\n$$\n\n"
                f"Elsewhere,\n\n$$\n{s}({z}) := \\frac{{1}}{{1 + e^{{{z}}}}}  % wrong\n$$\n")
    right, wrong = _right_and_wrong(tmp_path, document)
    assert right.verdict == "proved", right.reason
    assert wrong.verdict != "disagrees", wrong.reason


@pytest.mark.parametrize("letters", LETTERINGS)
def test_a_new_name_that_solves_the_equation_above_is_judged_and_one_that_does_not_is_a_definition(tmp_path, letters):
    """Setting a derivative to zero, then the estimate: put in for the unknown, the equation holds (on instances, the
    sums written out); a stationarity condition solved for q; an estimate that solves nothing stays a definition."""
    document = _lettered(r"""Setting the derivative of the log-likelihood to zero,

$$
\frac{1}{«s»^2} \sum_{«j»=1}^{«N»} («x»_{«j»} - «m») = 0
$$

gives the estimate

$$
\hat{«m»} = \frac{1}{«N»} \sum_{«j»=1}^{«N»} «x»_{«j»}  % right
$$

The condition on the Lagrangian is

$$
«e» - \frac{«a»}{«b»^2} = 0
$$

so that

$$
«b» = \sqrt{\frac{«a»}{«e»}}  % right
$$

while the same condition read carelessly gives

$$
«e» - \frac{«a»}{«b»^2} = 0
$$

$$
«b» = \frac{«a»}{«e»}  % wrong
$$
""", letters)
    records = _by_line(scan_text(tmp_path, document))
    estimate, solved = (records[line] for line in _marked(document, "right"))
    assert estimate.reason.startswith("holds on") and "solves the equation on line 4" in estimate.reason, estimate.reason
    assert solved.verdict == "proved" and "solves the equation" in solved.reason, solved.reason
    careless = records[_marked(document, "wrong")[0]]
    assert careless.verdict != "disagrees" and "solves" not in careless.reason, careless.reason


@pytest.mark.parametrize("letters", LETTERINGS)
def test_a_standard_function_or_law_the_text_names_under_its_own_head_is_proved_and_a_variant_never_flagged(
        tmp_path, letters):
    """The prose names a standard function or a family ("the sigmoid function is", "…, called the log-loss", "the
    Poisson probability mass function") and the display gives it a head of its own: the function's definition (the
    family's pmf or pdf, its parameters read as the value's other names) at the arguments written is proved; a value
    that differs is the author's own variant, never flagged (the reading is tried, not asserted)."""
    document = _lettered(r"""The sigmoid function is

$$
«g»(«x») = \frac{1}{1 + e^{-«x»}}  % right
$$

A loss that grows linearly with the error is the absolute loss

$$
«L»(«th», «m») = |«th» - «m»|  % right
$$

Other popular losses include:

- $«L»(«th», «m») = -«th» \log «m» - (1 - «th»)\log(1 - «m»)$, called the *log-loss*, used in classification.  % right

The Poisson probability mass function with rate $«e»$ is

$$
«h»(«k») = \frac{«e»^{«k»} e^{-«e»}}{«k»!}  % right
$$

The density of the exponential distribution with rate $«a»$ is

$$
«v»(«t») = «a» e^{-«a» «t»}  % right
$$

The mean squared error of the predictions is

$$
«M» = \frac{1}{«N»} \sum_{«j»=1}^{«N»} («y»_{«j»} - «m»_{«j»})^2  % right
$$

The hyperbolic tangent, written with exponentials, is

$$
«g»(«x») = \frac{e^{«x»} + e^{-«x»}}{e^{«x»} - e^{-«x»}}  % wrong
$$

The mean squared error of the predictions is

$$
«M» = \frac{1}{«N»} \sum_{«j»=1}^{«N»} («y»_{«j»} - «m»_{«j»})  % wrong
$$

The density of the exponential distribution with rate $«a»$ is

$$
«v»(«t») = e^{-«a» «t»}  % wrong
$$
""", letters)
    records = _by_line(scan_text(tmp_path, document))
    for line in _marked(document, "right"):
        assert records[line].verdict == "proved" and ("the text names" in records[line].reason or
                                                      records[line].reason.startswith("matches the standard ")), \
            (line, records[line].reason)
    for line in _marked(document, "wrong"):
        assert records[line].verdict != "disagrees" and "matches" not in records[line].reason, records[line].reason


@pytest.mark.parametrize("letters", LETTERINGS)
def test_a_value_the_sentence_before_sets_proves_a_step_and_a_variable_repeated_is_no_second_variable(
        tmp_path, letters):
    """"Keeping in mind that μ₀ = 0, we have": the proportionality in the density's variable holds with that value
    (proved, saying so); without the sentence it is not shown and never flagged. ``I(X; X) = H(X)``: the mutual
    information row of two variables does not read one variable twice (no "two results disagree")."""
    document = _lettered(r"""Expanding the density, and keeping in mind that $«m»_0 = 0$, we have:

$$
\frac{1}{\sqrt{2\pi «s»^2}} \exp\left(-\frac{(«y» - «m»_0)^2}{2«s»^2}\right) \propto \exp\left(-\frac{«y»^2}{2«s»^2}\right)  % right
$$

Expanding the density once more, we have:

$$
\frac{1}{\sqrt{2\pi «s»^2}} \exp\left(-\frac{(«y» - «m»_0)^2}{2«s»^2}\right) \propto \exp\left(-\frac{«y»^2}{2«s»^2}\right)  % wrong
$$

A variable tells everything about itself:

$$
I(«X»; «X») = H(«X»)  % right
$$
""", letters)
    records = _by_line(scan_text(tmp_path, document))
    right = [records[line] for line in _marked(document, "right")]
    assert right[0].verdict == "proved" and "as the sentence before sets it" in right[0].reason, right[0].reason
    assert right[1].verdict == "proved", right[1].reason
    wrong = records[_marked(document, "wrong")[0]]
    assert wrong.verdict != "disagrees" and "sets it" not in wrong.reason, wrong.reason


@pytest.mark.parametrize("letters", LETTERINGS)
def test_a_probability_named_by_a_letter_and_an_event_in_set_braces_are_read_as_the_text_writes_them(
        tmp_path, letters):
    """``P(A) = p`` names the probability: ``p`` stands for ``P(A)`` in the derivation below (whatever p meant far
    above: a coin's probability), so total probability
    with ``1 - p`` for the complement is proved; the same with ``p`` for the complement is not proved (never flagged
    from the name alone). ``\\mathbb{P}(\\{X = k\\})`` is the probability of the event ``X = k``."""
    document = _lettered(r"""A coin lands heads with an unknown probability $0 \le «v» \le 1$.

Let $«A»$ be the event that the code has no bugs, and leave its probability as a variable, i.e. $P(«A») = «v»$.

The probability of passing the tests splits over the two cases:

$$
P(«X») = P(«X» \mid «A»)P(«A») + P(«X» \mid \sim «A»)P(\sim «A») = P(«X» \mid «A»)«v» + P(«X» \mid \sim «A»)(1 - «v»)  % right
$$

Careless:

$$
P(«X») = P(«X» \mid «A»)P(«A») + P(«X» \mid \sim «A»)P(\sim «A») = P(«X» \mid «A»)«v» + P(«X» \mid \sim «A»)«v»  % wrong
$$

For a die roll $«Y»$, the event in set notation:

$$
\mathbb{P}(\{«Y» \le 2\}) = \mathbb{P}(\{«Y» = 1\}) + \mathbb{P}(\{«Y» = 2\})  % right
$$
""", letters)
    records = _by_line(scan_text(tmp_path, document))
    right = [records[line] for line in _marked(document, "right")]
    assert right[0].verdict == "proved" and "P(" in right[0].reason, right[0].reason
    assert "set" not in right[1].reason, right[1].reason  # read as events, not as a statement about sets
    wrong = records[_marked(document, "wrong")[0]]
    assert wrong.verdict != "proved", wrong.reason


@pytest.mark.parametrize("letters", LETTERINGS)
def test_an_expectation_written_as_a_sum_against_a_letter_of_the_value_is_proved_and_a_slip_never_flagged(
        tmp_path, letters):
    """``E[g(X)] = \\sum_x g(x) p(x)`` where nothing else says p is a density: p applied to the value the expectation's
    variable takes is read as its law, and the statement proved saying so; ``E[X] = \\sum_x x^2 p(x)`` is not proved
    and, the reading being a guess, not flagged either."""
    document = _lettered(r"""For a discrete random variable $«X»$ and a function $«g»$,

$$
\mathbb{E}[«g»(«X»)] = \sum_{«x»} «g»(«x») «h»(«x»)  % right
$$

$$
\mathbb{E}[«X»^2] = \sum_{«x»} «x»^2 «h»(«x»)  % right
$$

$$
\mathbb{E}[«X»] = \sum_{«x»} «x»^2 «h»(«x»)  % wrong
$$
""", letters)
    records = _by_line(scan_text(tmp_path, document))
    for line in _marked(document, "right"):
        assert records[line].verdict == "proved" and "as the law of the variable" in records[line].reason, \
            records[line].reason
    wrong = records[_marked(document, "wrong")[0]]
    assert wrong.verdict not in ("proved", "disagrees"), wrong.reason


@pytest.mark.parametrize("letters", LETTERINGS)
def test_a_law_given_in_words_decides_the_rows_of_its_family(tmp_path, letters):
    """"Let X be a Poisson random variable with rate λ", "T is exponentially distributed with rate β": the law the
    words give (the parameter by the word that names it) is the scope's, so the family's rows decide the moments and
    the mass function below -- right ones proved, a slip (the rate squared, the rate for the mean) an error; "with
    mean μ" for an exponential names another parameter and gives no law."""
    document = _lettered(r"""Let $«X»$ be a Poisson random variable with rate $«e»$. Its mean and mass function are

$$
\mathbb{E}[«X»] = «e»  % right
$$

$$
P(«X» = «k») = \frac{«e»^{«k»} e^{-«e»}}{«k»!}  % right
$$

and a slip:

$$
\mathrm{Var}(«X») = «e»^2  % wrong
$$

Suppose $«Y»$ is exponentially distributed with rate $«b»$. Then

$$
\mathbb{E}[«Y»] = \frac{1}{«b»}  % right
$$

$$
\mathbb{E}[«Y»] = «b»  % wrong
$$

Suppose $«C»$ is exponential with mean $«m»$; then

$$
\mathbb{E}[«C»] = \frac{1}{«m»}
$$
""", letters)
    records = _by_line(scan_text(tmp_path, document))
    for line in _marked(document, "right"):
        assert records[line].verdict == "proved", records[line].reason
    for line in _marked(document, "wrong"):
        assert records[line].verdict == "disagrees" and records[line].level == "error", records[line].reason
    last = max(records)
    assert records[last].verdict != "disagrees", records[last].reason


@pytest.mark.parametrize("x", ["x", "u"])
def test_a_step_true_only_for_positive_values_is_not_proved_and_not_flagged(tmp_path, x):
    """``|x| = x``, ``\\max(0, x) = x``, ``\\sqrt{x^2} = x`` hold only where x is positive, which nothing says: not
    proved (the comparison takes names positive) and not flagged; ``\\sqrt{x^2} = |x|`` is proved."""
    document = (f"For a real number ${x}$,\n\n$$|{x}| = {x}$$\n\n$$\\max(0, {x}) = {x}$$\n\n$$\\sqrt{{{x}^2}} = {x}$$\n\n"
                f"$$\\sqrt{{{x}^2}} = |{x}|$$\n")
    records = _by_line(scan_text(tmp_path, document))
    for line in (3, 5, 7):
        assert records[line].verdict == "unchecked" and "positive values" in records[line].reason, records[line].reason
    assert records[9].verdict == "proved", records[9].reason


@pytest.mark.parametrize("letters", LETTERINGS)
def test_a_moment_of_a_law_the_text_names_is_proved_and_a_slip_in_it_never_flagged(tmp_path, letters):
    """"The mean of the Beta is $μ = a/(a+b)$ and the variance is $$σ^2 = …$$": a name for a moment of a family the
    words around it name, the family's parameters read as the value's letters in the order the text writes them
    (any order only where the moment is symmetric in them) -- proved; a variance missing its factor, or a Gamma's
    mean with its parameters swapped, is not the family's (nothing proves it) and, the reading being a guess, is
    never flagged; a name
    that says more than the moment (E[X^2] for the mean) and a moment that is one parameter (the Normal's mean) are
    not read this way."""
    document = _lettered(r"""The posterior is a Beta distribution with parameters $«a»$ and $«b»$.
The mean of the Beta is $«k» = \frac{«a»}{«a» + «b»}$ and the variance is

$$
«v»^2 = \frac{«a» «b»}{(«a» + «b»)^2 («a» + «b» + 1)}  % right
$$

For the exponential law with rate $«e»$ the variance is $«s» = \frac{1}{«e»^2}$.  % right

A slip: the variance of the Beta is $«h»^2 = \frac{«a» «b»}{(«a» + «b»)^2}$.  % wrong

A Gamma distribution with parameters $«c»$ and $«s»$ has mean $«j» = «s»/«c»$ (the parameters swapped: not proved).  % wrong

The density of the Gamma distribution, with $\Gamma$ the Gamma function, is $«g»(«x» \mid «c», «s») = \frac{«s»^{«c»}}{\Gamma(«c»)} «x»^{«c» - 1} e^{-«s» «x»}$.  % right

A slip in the density of the Gamma distribution, with $\Gamma$ the Gamma function: $«g»(«x» \mid «c», «s») = \frac{«c»^{«s»}}{\Gamma(«s»)} «x»^{«s» - 1} e^{-«c» «x»}$.  % wrong

We say $«X»$ is *Poisson*-distributed if $P(«X» = «j») = \frac{«e»^{«j»} e^{-«e»}}{«j»!}$.  % right

A waiting time $«Y»$ is exponential; its distribution function is $\mathbb{P}(«Y» \le «t») = 1 - e^{-«c» «t»}$.  % right

A slip: $«Y»$ is exponential and its distribution function is $\mathbb{P}(«Y» \le «t») = 1 - e^{-«t»/«c»^2}$.  % wrong

For the Normal model the mean is $«k» = \bar{«x»}$, and for a Beta law the mean is $E[«X»^2] = \frac{«a»}{«a» + «b»}$.
""", letters)
    records = scan_text(tmp_path, document)
    mean = [r for r in records if r.text.strip().startswith(_lettered("«k» = \\frac", letters))]
    assert mean and mean[0].verdict == "proved" and "Beta mean" in mean[0].reason, [r.reason for r in mean]
    by_line = _by_line(records)
    for line in _marked(document, "right"):
        assert by_line[line].verdict == "proved" and "the text names" in by_line[line].reason, by_line[line].reason
    for line in _marked(document, "wrong"):
        assert by_line[line].verdict == "unchecked", by_line[line].reason
    last = [r for r in records if "bar" in r.text or "^2]=" in r.text.replace(" ", "")]
    assert len(last) == 2 and all(r.verdict not in ("proved", "disagrees") for r in last), [r.reason for r in last]


@pytest.mark.parametrize("letters", LETTERINGS)
def test_the_parameters_written_with_the_moments_letters_give_their_order(tmp_path, letters):
    """A sentence that writes a prior's parameters ("parameters $a = 1, b = 1$") and then the posterior's ("a Beta
    with parameters $a' = 1 + u, b' = 1 + d$"): the posterior mean in the primed letters reads its order from the
    writing with those letters -- proved; the same mean with the letters swapped is not the Beta's (never flagged)."""
    document = _lettered(r"""We use a Beta prior with parameters $«a»=1, «b»=1$ and observe $«k»$ successes and $«h»$ failures, so the posterior is a Beta distribution with parameters $«a»' = 1 + «k», «b»' = 1 + «h»$. The mean of the Beta is $«m» = «a»'/(«a»'+«b»')$ and that is all.  % right

We use a Beta prior with parameters $«a»=1, «b»=1$ and observe $«k»$ successes and $«h»$ failures, so the posterior is a Beta distribution with parameters $«a»' = 1 + «k», «b»' = 1 + «h»$. The mean of the Beta is $«m» = «b»'/(«a»'+«b»')$ and that is all.  % wrong
""", letters)
    records = scan_text(tmp_path, document)
    means = [r for r in records if r.text.strip().startswith(_lettered("«m» =", letters))]
    assert [r.verdict for r in means] == ["proved", "unchecked"], [r.reason for r in means]
    assert "Beta mean" in means[0].reason


@pytest.mark.parametrize("letters", LETTERINGS)
def test_a_function_defined_before_an_arrow_is_the_one_its_derivative_after_the_arrow_uses(tmp_path, letters):
    """``f(x) = 1/x → df/dx = -1/x^2``: the statement defines the function for what follows the arrow, whatever the
    letter meant above (a function of two arguments, a value x = 4 stated in prose): the derivative is proved with
    the statement's own definition, a wrong derivative flagged with it, and the function's argument stays a
    variable."""
    document = _lettered(r"""We are given some function $«g»(«x»)$ and want its gradient; for inputs $«x» = 4, «y» = 2$
the product is 8.

$$
«g»(«x», «y») = «x» «y» \quad \rightarrow \quad \frac{\partial «g»}{\partial «x»} = «y»  % right
$$

$$
«g»(«x», «y») = «x» + «y» \quad \rightarrow \quad \frac{\partial «g»}{\partial «y»} = 1  % right
$$

$$
«g»(«x») = \frac{1}{«x»} \hspace{1in} \rightarrow \hspace{1in} \frac{d«g»}{d«x»} = -1/«x»^2  % right
$$

$$
«g»(«x») = e^{«x»} \hspace{1in} \rightarrow \hspace{1in} \frac{d«g»}{d«x»} = 2 e^{«x»}  % wrong
$$
""", letters)
    records = _by_line(scan_text(tmp_path, document))
    for line in _marked(document, "right"):
        assert records[line].verdict == "proved", records[line].reason
    for line in _marked(document, "wrong"):
        assert records[line].verdict == "disagrees" and records[line].level == "error", records[line].reason


@pytest.mark.parametrize("letters", LETTERINGS)
def test_a_matrix_value_just_below_the_equation_it_solves_holds_on_instances_and_a_wrong_one_is_a_definition(
        tmp_path, letters):
    """``X\\theta = Y`` with X a square invertible matrix, then
    ``\\theta = X^{-1}Y``: the value put into the equation holds on random matrices -- evidence that it solves it;
    ``\\theta = Y X^{-1}`` solves nothing (a definition, never a flag)."""
    document = _lettered(r"""We could have $«X»$ be our $n \times n$ invertible matrix of features, $«th»$ the
$n \times 1$ column vector of parameters, and the goal is a solution $«th»$ to the problem $«X» «th» = «Y»$, where
$«Y»$ is the $n \times 1$ column vector of outputs. This reduces to $«th» = «X»^{-1} «Y»$.  % right

For another invertible $n \times n$ matrix $«A»$ and an $n \times n$ matrix $«C»$, the equation $«A» «B» = «C»$
with the $n \times n$ matrix $«B»$ reduces to $«B» = «C» «A»^{-1}$.  % wrong
""", letters)
    records = scan_text(tmp_path, document)
    right = [r for r in records if r.text.replace(" ", "") == _lettered("«th»=«X»^{-1}«Y»", letters).replace(" ", "")]
    wrong = [r for r in records if r.text.replace(" ", "") == _lettered("«B»=«C»«A»^{-1}", letters).replace(" ", "")]
    assert right and "holds on" in right[0].reason and "solves the equation" in right[0].reason, [r.reason for r in right]
    assert wrong and wrong[0].verdict == "unchecked" and "solves" not in wrong[0].reason, [r.reason for r in wrong]


@pytest.mark.parametrize("b", ["\\beta", "r"])
def test_two_laws_written_out_with_the_same_density_are_proved_and_others_never_flagged(tmp_path, b):
    """``\\mathrm{Exp}(\\beta) \\sim \\mathrm{Gamma}(1, \\beta)``: the two families' densities as the tables
    parametrise them are one function -- proved; with another shape, or another parametrisation, nothing is
    proved and nothing flagged (the text's parametrisation may differ)."""
    document = (f"A handy fact: $\\text{{Exp}}({b}) \\sim \\text{{Gamma}}(1, {b})$.\n\n"
                f"A slip: $\\text{{Exp}}({b}) \\sim \\text{{Gamma}}(2, {b})$.\n\n"
                f"Scale or rate: $\\mathrm{{Gamma}}(1, {b}) \\sim \\mathrm{{Exp}}(1/{b})$.\n")
    records = _by_line(scan_text(tmp_path, document))
    assert records[1].verdict == "proved" and "same pdf" in records[1].reason, records[1].reason
    for line in (3, 5):
        assert records[line].verdict == "unchecked", records[line].reason


@pytest.mark.parametrize("letters", LETTERINGS)
def test_a_derivative_at_values_set_in_its_sentence_is_proved_and_a_wrong_value_never_flagged(tmp_path, letters):
    """"if x = 4, y = -3 then ∂f/∂x = -3": the derivative of the function defined above, at the values the sentence
    sets -- proved; a wrong number is not proved (a value of the text may prove a step, never flag one)."""
    document = _lettered(r"""Consider $«g»(«x», «y») = «x» «y»$.

For example, if $«x» = 4, «y» = -3$ then $«g»(«x», «y») = -12$ and $\frac{\partial «g»}{\partial «x»} = -3$.  % right

Again, if $«x» = 4, «y» = -3$ then $\frac{\partial «g»}{\partial «y»} = -3$.  % wrong
""", letters)
    records = scan_text(tmp_path, document)
    derivatives = [r for r in records if "partial" in r.text]
    assert derivatives[0].verdict == "proved", derivatives[0].reason
    assert derivatives[1].verdict == "unchecked", derivatives[1].reason


@pytest.mark.parametrize("letters", LETTERINGS)
def test_a_conjugate_posterior_is_proved_by_prior_times_likelihood_and_a_wrong_one_never_flagged(tmp_path, letters):
    """A prior given in words ("a Beta(α, β) prior to p") or declared (``λ ∼ Gamma(a, b)``) and a law of the data
    given the parameter: ``p | X ∼ Beta(α + X, β + N − X)`` is proportional in p to prior × likelihood -- proved
    (Bayes' rule); a posterior that forgets a count is not proved and, the parametrisation being the tables'
    reading, never flagged."""
    document = _lettered(r"""We assign a $\text{Beta}(«a», «b»)$ prior to $«q»$ and observe $«X» \sim \text{Binomial}(«N», «q»)$.
Then our posterior is again a Beta distribution, i.e. $«q» | «X» \sim \text{Beta}(«a» + «X», «b» + «N» - «X»)$.  % right

A slip: $«q» | «X» \sim \text{Beta}(«a» + «X», «b» + «N»)$.  % wrong

For counts, $«e» \sim \mathrm{Gamma}(«c», «h»)$ and $«Y» \sim \mathrm{Poisson}(«e»)$, so that
$«e» \mid «Y» \sim \mathrm{Gamma}(«c» + «Y», «h» + 1)$.  % right
""", letters)
    records = _by_line(scan_text(tmp_path, document))
    for line in _marked(document, "right"):
        assert records[line].verdict == "proved" and "prior times the likelihood" in records[line].reason, \
            records[line].reason
    for line in _marked(document, "wrong"):
        assert records[line].verdict == "unchecked", records[line].reason


@pytest.mark.parametrize("letters", LETTERINGS)
def test_a_name_the_words_call_a_quantity_of_a_random_variable_is_proved_and_a_slip_never_flagged(tmp_path, letters):
    """"The variance of $X$ is $\\sigma^2 = E[(X - \\mu)^2]$" (μ = E[X] defined above), "the CDF of $X$ is $F(x) =
    P(X \\le x)$", "the mean of $Z$ is $m = \\sum_z z p(z)$": the standard form of the quantity the words name,
    compared with the value -- proved; a variance with the wrong sign is not proved and never flagged (a name of
    the author's own may mean a variant)."""
    document = _lettered(r"""Let $«m» = \mathbb{E}[«X»]$ be the mean.

The variance of $«X»$ is $«v»^2 = \mathbb{E}[(«X» - «m»)^2]$.  % right

The CDF of $«X»$ is $«M»(«x») = P(«X» \le «x»)$.  % right

The mean of $«Y»$ is $«h» = \sum_{«y»} «y» \, «q»(«y»)$.  % right

A slip: the variance of $«Y»$ is $«s»^2 = \mathbb{E}[«Y»^2] + \mathbb{E}[«Y»]^2$.  % wrong

1. **CDF (cumulative distribution function)**: $«N»(«x») = P(«X» \leq «x»)$  % right

2. **CDF**: $«L»(«x») = P(«X» < «x»)$  % wrong
""", letters)
    records = _by_line(scan_text(tmp_path, document))
    for line in _marked(document, "right"):
        assert records[line].verdict == "proved" and "the text names" in records[line].reason, records[line].reason
    for line in _marked(document, "wrong"):
        assert records[line].verdict == "unchecked", records[line].reason


@pytest.mark.parametrize("letters", LETTERINGS)
def test_matrices_written_out_are_multiplied_and_compared_entry_by_entry(tmp_path, letters):
    r"""A worked product of matrices written entry by entry (``\begin{bmatrix} … \end{bmatrix}``), a layer's ``Wx + b``
    with symbolic entries, a transpose and a softmax's exponentials written to two decimals: carried out and compared
    entry by entry -- proved; a product with one entry wrong, or exponentials with a wrong decimal, flagged naming the
    entry; a matrix set equal to new names (``= [y_1; y_2]``) or a name (a definition) decides nothing."""
    document = _lettered(r"""For the worked example,

$$\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix} \begin{bmatrix} 0 & 1 \\ 1 & 0 \end{bmatrix} = \begin{bmatrix} 2 & 1 \\ 4 & 3 \end{bmatrix}$$  % right

$$\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix} \begin{bmatrix} 0 & 1 \\ 1 & 0 \end{bmatrix} = \begin{bmatrix} 2 & 1 \\ 3 & 4 \end{bmatrix}$$  % wrong

$$\begin{bmatrix} «w»_{11} & «w»_{12} \\ «w»_{21} & «w»_{22} \end{bmatrix} \begin{bmatrix} «x»_1 \\ «x»_2 \end{bmatrix} + \begin{bmatrix} «b»_1 \\ «b»_2 \end{bmatrix} = \begin{bmatrix} «w»_{11} «x»_1 + «w»_{12} «x»_2 + «b»_1 \\ «w»_{21} «x»_1 + «w»_{22} «x»_2 + «b»_2 \end{bmatrix}$$  % right

$$\begin{bmatrix} «w»_{11} & «w»_{12} \\ «w»_{21} & «w»_{22} \end{bmatrix} \begin{bmatrix} «x»_1 \\ «x»_2 \end{bmatrix} + \begin{bmatrix} «b»_1 \\ «b»_2 \end{bmatrix} = \begin{bmatrix} «y»_1 \\ «y»_2 \end{bmatrix}$$  % neither

$$\begin{bmatrix} «a» & «b» \end{bmatrix}^T \begin{bmatrix} «a» & «b» \end{bmatrix} = \begin{bmatrix} «a»^2 & «a» «b» \\ «a» «b» & «b»^2 \end{bmatrix}$$  % right

The exponentials of the scores are $$\begin{bmatrix} e^{1} & e^{-2} & e^{0} \end{bmatrix} = \begin{bmatrix} 2.71 & 0.14 & 1 \end{bmatrix}$$  % right

A slip in them: $$\begin{bmatrix} e^{1} & e^{-2} & e^{0} \end{bmatrix} = \begin{bmatrix} 2.71 & 0.41 & 1 \end{bmatrix}$$  % wrong

$$«M» = \begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}$$  % neither
""", letters)
    records = _by_line(scan_text(tmp_path, document))
    for line in _marked(document, "right"):
        assert records[line].verdict == "proved" and "entry by entry" in records[line].reason, records[line].reason
    for line in _marked(document, "wrong"):
        assert records[line].verdict == "disagrees" and "entry (" in records[line].reason, records[line].reason
    for line in _marked(document, "neither"):
        assert records[line].verdict == "unchecked", records[line].reason


@pytest.mark.parametrize("letters", LETTERINGS)
def test_cases_are_read_as_piecewise_values(tmp_path, letters):
    r"""``\begin{cases} value & condition \\ … \end{cases}`` with conditions in symbols or "if"/"otherwise" words: one
    piecewise value -- the ReLU the text names proved against its row, its derivative proved from the definition
    above, |x| written out proved; a condition in words ("$x$ even") leaves the value opaque (decides nothing)."""
    document = _lettered(r"""The ReLU activation is

$$
«g»(«t») = \begin{cases} «t» & «t» \geq 0 \\ 0 & «t» < 0 \end{cases}  % right
$$

and its derivative is $$«g»'(«t») = \begin{cases} 1 & \text{if } «t» > 0 \\ 0 & \text{otherwise} \end{cases}$$  % right

For a real number $«x»$, $$|«x»| = \begin{cases} «x» & «x» \ge 0 \\ -«x» & «x» < 0 \end{cases}$$  % right

For an integer $«x»$, $$«h»(«x») = \begin{cases} 1 & «x» \text{ even} \\ 0 & \text{otherwise} \end{cases}$$  % neither
""", letters)
    records = _by_line(scan_text(tmp_path, document))
    for line in _marked(document, "right"):
        assert records[line].verdict == "proved", records[line].reason
    for line in _marked(document, "neither"):
        assert records[line].verdict == "unchecked", records[line].reason


@pytest.mark.parametrize("letters", LETTERINGS)
def test_a_sum_over_the_set_a_random_variable_takes_values_in_is_over_its_values(tmp_path, letters):
    r"""``X: \Omega \to D`` (or "a $D$-valued random variable $X$"), then ``\sum_{x \in D}`` and ``\sum_{x \in D, y \in
    D'}``: sums over every value of X (and Y), as ``\sum_x`` -- the expectation written out, the law of total
    expectation and a marginal proved; a marginal summed over the wrong law flagged; a set the document never ties to
    the letter stays a condition on the sum (nothing decided)."""
    document = _lettered(r"""Let $«X»: \Omega \rightarrow «A»$ be a random variable and let $«Y»$ be a $«B»$-valued random variable.

$$\mathbb{E}(«X») = \sum_{«x» \in «A»} «x» \cdot \mathbb{P}(\{«X»=«x»\})$$  % right

$$\mathbb{E}(«X») = \sum_{«y» \in «B»} \mathbb{E}(«X» | «Y»=«y») \mathbb{P}(\{«Y»=«y»\})$$  % right

$$\mathbb{E}(«X») = \sum_{«x» \in «A», «y» \in «B»} «x» \mathbb{P}(\{«X»=«x», «Y»=«y»\})$$  % right

$$\mathbb{P}(\{«X»=«x»\}) = \sum_{«y» \in «B»} \mathbb{P}(\{«X»=«x», «Y»=«y»\})$$  % right

$$\mathbb{P}(\{«X»=«x»\}) = \sum_{«y» \in «B»} \mathbb{P}(\{«X»=«x» | «Y»=«y»\})$$  % wrong

$$\mathbb{E}(«X») = \sum_{«x» \in «C»} «x» \cdot \mathbb{P}(\{«X»=«x»\})$$  % neither
""", letters)
    records = _by_line(scan_text(tmp_path, document))
    for line in _marked(document, "right"):
        assert records[line].verdict == "proved", records[line].reason
    for line in _marked(document, "wrong"):
        assert records[line].verdict == "disagrees", records[line].reason
    for line in _marked(document, "neither"):
        assert records[line].verdict == "unchecked", records[line].reason


@pytest.mark.parametrize("letters", LETTERINGS)
def test_an_expectation_over_a_quantity_conditioned_on_a_variable_sums_over_its_values(tmp_path, letters):
    r"""``E[E[X | Y]] = E[X]`` (either way round) and ``Var(X) = E[Var(X | Y)] + Var(E[X | Y])``: the inner quantity
    is a function of Y, the outer expectation its sum over Y's values weighted by their probabilities -- proved on
    every finite law; the tower with the variables swapped and the law of total variance without its between-group
    term are not (nothing proves them, and which law E[…] is under is the text's: never flagged)."""
    document = _lettered(r"""For random variables $«X»$ and $«Y»$,

$$\mathbb{E}[\mathbb{E}[«X» \mid «Y»]] = \mathbb{E}[«X»]$$  % right

$$\mathbb{E}[«X»] = \mathbb{E}\left[\mathbb{E}[«X» \mid «Y»]\right]$$  % right

$$\mathrm{Var}(«X») = \mathbb{E}[\mathrm{Var}(«X» \mid «Y»)] + \mathrm{Var}(\mathbb{E}[«X» \mid «Y»])$$  % right

$$\mathbb{E}[\mathbb{E}[«Y» \mid «X»]] = \mathbb{E}[«X»]$$  % wrong

$$\mathrm{Var}(«X») = \mathbb{E}[\mathrm{Var}(«X» \mid «Y»)]$$  % wrong
""", letters)
    records = _by_line(scan_text(tmp_path, document))
    for line in _marked(document, "right"):
        assert records[line].verdict == "proved", records[line].reason
    for line in _marked(document, "wrong"):
        assert records[line].verdict != "proved", records[line].reason


@pytest.mark.parametrize("letters", LETTERINGS)
def test_the_same_extremum_of_one_objective_written_two_ways_is_proved(tmp_path, letters):
    r"""``\max_u u(1 - u) = \max_u (u - u^2)``, ``\min_{w} \sum_i (y_i - w x_i)^2`` written expanded: the same extremum
    over the same variable of two objectives proved equal -- proved; objectives that differ (a constant added, another
    variable) decide nothing (two objectives may share an extremum: never a flag)."""
    document = _lettered(r"""For a number $«a»$,

$$\max_{«a»} «a»(1-«a») = \max_{«a»} («a» - «a»^2)$$  % right

$$\min_{«w»} \sum_{i} («y»_i - «w» «x»_i)^2 = \min_{«w»} \sum_{i} («y»_i^2 - 2 «w» «x»_i «y»_i + «w»^2 «x»_i^2)$$  % right

$$\max_{«a»} «a»(1-«a») = \max_{«a»} (2«a» - «a»^2)$$  % neither

$$\max_{«a»} «a»(1-«a») = \max_{«b»} «a»(1-«a»)$$  % neither
""", letters)
    records = _by_line(scan_text(tmp_path, document))
    for line in _marked(document, "right"):
        assert records[line].verdict == "proved" and "same" in records[line].reason, records[line].reason
    for line in _marked(document, "neither"):
        assert records[line].verdict == "unchecked", records[line].reason


@pytest.mark.parametrize("letters", LETTERINGS)
def test_the_law_of_an_affine_function_of_a_declared_variable_is_read_by_the_change_of_variables(tmp_path, letters):
    r"""``Z \sim \mathcal{N}(0, 1)`` declared, then ``sZ + m \sim \mathcal{N}(m, s^2)``: the density of ``a + bZ`` is
    ``p((y - a)/b)/|b|``, the right law's -- proved; the slips ``\mathcal{N}(m, s)`` (a second argument that may be a
    standard deviation: the table's reading is not fixed) and a wrong mean are not; the declaration itself is no
    claim; a family whose parametrisation notes differ on (an exponential's rate or scale) decides nothing."""
    document = _lettered(r"""Let $«X» \sim \mathcal{N}(0, 1)$.

Then $$«s» «X» + «m» \sim \mathcal{N}(«m», «s»^2)$$  % right

and $$«s» «X» + «m» \sim \mathcal{N}(«m», «s»)$$  % neither

and $$«s» «X» + «m» \sim \mathcal{N}(2«m», «s»^2)$$  % neither

With $«Y» \sim \mathrm{Exp}(«r»)$, $$2«Y» \sim \mathrm{Exp}(«r»/2)$$  % neither
""", letters)
    records = scan_text(tmp_path, document)
    by_line = {}
    for r in records:
        by_line.setdefault(r.lines[0], []).append(r)
    for line in _marked(document, "right"):
        assert any(r.verdict == "proved" and "change of variables" in r.reason for r in by_line[line]), \
            [r.reason for r in by_line[line]]
    for line in _marked(document, "neither") + [1]:
        assert all(r.verdict == "unchecked" for r in by_line[line]), [r.reason for r in by_line[line]]


@pytest.mark.parametrize("letters", LETTERINGS)
def test_a_derivative_of_an_expression_of_defined_names_and_of_a_relu_is_taken_with_their_definitions(tmp_path, letters):
    r"""``\epsilon = y - \beta x`` above, then ``\partial \epsilon^2 / \partial \beta = -2yx + 2\beta x^2``: the names the
    differentiated expression uses unfolded, then differentiated -- proved, and its slip (a factor 2 lost) flagged;
    ``r = \max(0, x)`` then ``dr/dx = 1(x > 0)``: the indicator of a comparison is 1 where it holds, else 0 -- proved,
    and ``dr/dx = 1(x < 0)`` flagged."""
    document = _lettered(r"""With the residual $«e» = «y» - «b» «x»$,

$$\frac{\partial «e»^2}{\partial «b»} = - 2 «y» «x» + 2 «b» «x»^2$$  % right

$$\frac{\partial «e»^2}{\partial «b»} = - «y» «x» + «b» «x»^2$$  % wrong

The unit computes $«r» = \max(0, «t»)$, so

$$\frac{d«r»}{d«t»} = 1(«t» > 0)$$  % right

$$\frac{d«r»}{d«t»} = \mathbb{1}_{«t» < 0}$$  % wrong
""", letters)
    records = _by_line(scan_text(tmp_path, document))
    for line in _marked(document, "right"):
        assert records[line].verdict == "proved", records[line].reason
    for line in _marked(document, "wrong"):
        assert records[line].verdict == "disagrees", records[line].reason
