r"""False alarms the scan's rules raised on real lecture material, each as a short document written here in the
same shape (never the source's text), with a true error of the same rule beside it that must still be flagged.

Each shape was flagged before its fix (the commit that adds it says by which rule) and must not be flagged after:
the fix is in the reading or the mechanism the rule shares, never a special case beside it.
"""

from __future__ import annotations

from pathlib import Path

from derivspec.scan.extract import extract
from derivspec.scan.rules import check_document, registry
from derivspec.scan.runner import has_relation

PREVIEW = registry.select(preview=True)


def _flags(tmp_path: Path, text: str, codes=PREVIEW) -> dict:
    """first line of a statement -> the code of the rule that flags it."""
    path = tmp_path / "notes.md"
    path.write_text(text, encoding="utf-8")
    statements = [s for s in extract(path) if has_relation(s)]
    return {statements[i].lines[0]: code for i, (code, _) in check_document(statements, text, codes).items()}


# --- 2. DS306: a product that contains norms is no norm ----------------------------------------------------

ANGLE = ("# Angles\n\nThe angle $\\theta$ between two vectors ties their inner product to their lengths:\n\n"
         "$$\\|u\\| \\|v\\| \\cos \\theta = u \\cdot v$$\n")
ANGLE_TWINS = ("The lengths enter as a product,\n\n$$\\|u\\|\\|v\\| = u \\cdot v$$\n\n"
               "and as a sum,\n\n$$\\lVert u \\rVert + \\lVert v \\rVert - 2 = u - v$$\n")
NORM_WRONG = "The squared distance between two scalars is\n\n$$\\|s - t\\|_2^2 = s^2 - t^2$$\n"


def test_product_of_norms_is_not_a_norm(tmp_path):
    assert _flags(tmp_path, ANGLE) == {}
    assert _flags(tmp_path, ANGLE_TWINS) == {}
    assert _flags(tmp_path, NORM_WRONG, frozenset({"DS306"})) == {3: "DS306"}


# --- 6. DS003: scientific notation written as code in math is a number --------------------------------------

def _judged(tmp_path: Path, text: str, preview: bool = False) -> list:
    """``scan`` of one document (the judge and, with ``preview``, every rule): (first line, verdict, rule) of each
    statement (an inline formula's line holds several)."""
    from derivspec.app.scan_selection import Selection
    from derivspec.scan import scan_file

    path = tmp_path / "judged.md"
    path.write_text(text, encoding="utf-8")
    records = scan_file(path, workers=0, sources=False, rules=Selection.parse((), ()).rules(preview))
    return [(r.lines[0], r.to_json()["verdict"], r.to_json()["rule"]) for r in records]


ROUND_OFF = ("# Round-off\n\nFor a finite-difference step of $h = 1e-8$ its square is $h^2 = 1e-16$, below the "
             "resolution of a double, and a rate of $\\eta = 2.5e-4$ halved is $\\eta / 2 = 1.25e-4$.\n")
ROUND_OFF_WRONG = ("# Round-off\n\nFor a finite-difference step of $h = 1e-8$ its square is $h^2 = 1e-15$, below the "
                   "resolution of a double.\n")


def test_scientific_notation_is_a_number(tmp_path):
    assert [r for r in _judged(tmp_path, ROUND_OFF) if r[1] == "disagrees"] == []
    assert (3, "disagrees", "DS003") in _judged(tmp_path, ROUND_OFF_WRONG)


# --- 1. DS206: a count or a size is no probability ----------------------------------------------------------

SURVEY = ("# A survey\n\nOnce we know the probability of a yes answer, which is $q$, and we ask $N = 250$ people, the "
          "number of yes answers is binomial with parameters $N$ and $q$.\n\n"
          "To estimate the probability that a coin lands heads we flip it $n$ times, with\n\n$$n = 40$$\n\n"
          "so the estimate is the fraction $\\hat q = h / n$ of the $n$ flips.\n")
SURVEY_WRONG = (SURVEY + "\nThe probability of a yes answer is\n\n$$q = 1.3$$\n\n"
                "and the probability that all $N$ people say yes is\n\n$$\\Pr(Y = N) = 1 + q^{N}$$\n")


def test_a_count_is_not_a_probability(tmp_path):
    assert _flags(tmp_path, SURVEY) == {}
    assert _flags(tmp_path, SURVEY_WRONG, frozenset({"DS206"})) == {13: "DS206", 17: "DS206"}


# --- 4. DS206: a matrix the document names is no probability -------------------------------------------------

PROJECTION = ("# Projections\n\nThe probability that a point is moved by the projection matrix $P$ a second time is "
              "zero, and the same holds for its complement:\n\n$$(I - P)^2 = I - P$$\n\n"
              "The chance that a reflection keeps a vector, with $H$ the Householder matrix of a unit $u$, is small:"
              "\n\n$$H = I - 2 u u^\\top$$\n")
PROJECTION_WRONG = (PROJECTION + "\nThe probability that the projection keeps a random point $x$ is\n\n"
                    "$$\\Pr(P x = x) = 1 + b$$\n")


def test_a_matrix_is_not_a_probability(tmp_path):
    assert _flags(tmp_path, PROJECTION) == {}
    assert _flags(tmp_path, PROJECTION_WRONG, frozenset({"DS206"})) == {13: "DS206"}


# --- 3. DS204: a conditional law normalises over its variable's own support ------------------------------------

FEATURES = ("# Class-conditional features\n\nEach label is binary, $y \\in \\{0, 1\\}$, and each feature is a real "
            "number, $x \\in \\mathbb{R}$; the naive Bayes section later uses binary features $x \\in \\{0, 1\\}$.\n\n"
            "The conditional density of a feature given its label is\n\n"
            "$$p(x \\mid y) = \\frac{1}{\\sqrt{2\\pi}\\sigma} \\exp\\left(-\\frac{(x - \\mu_y)^2}{2\\sigma^2}\\right)$$\n")
ARRIVALS = ("# Arrivals\n\nThe conditional pmf of the number of arrivals given the rate is\n\n"
            "$$p(k \\mid \\lambda) = \\frac{\\lambda^k e^{-\\lambda}}{k!}$$\n\n" + "Other matters. " * 40 +
            "\n\nFor a single coin toss we write $k \\in \\{0, 1\\}$ instead.\n")
MIXTURE = ("# A mixture\n\nThe mass function of the component is discrete; the reading $r$ given the component $c$ "
           "has\n\n$$p(r \\mid c) = \\frac{1}{\\sqrt{2\\pi}} e^{-(r - c)^2/2}$$\n")
FEATURES_WRONG = FEATURES.replace("\\frac{1}{\\sqrt{2\\pi}\\sigma}", "\\frac{1}{2\\pi\\sigma}")
ARRIVALS_WRONG = ARRIVALS.replace("e^{-\\lambda}", "e^{-2\\lambda}")


def test_conditional_law_on_its_own_support(tmp_path):
    for text in (FEATURES, ARRIVALS, MIXTURE):
        assert _flags(tmp_path, text) == {}, text
    assert _flags(tmp_path, FEATURES_WRONG, frozenset({"DS204"})) == {7: "DS204"}
    assert _flags(tmp_path, ARRIVALS_WRONG, frozenset({"DS204"})) == {5: "DS204"}


REGRESSION = ("# Regression\n\nStacking the examples as the rows of $X$, the targets' joint law is\n\n"
              "$$p(y \\mid X, w) = \\frac{1}{(2\\pi\\sigma^2)^{N/2}} \\exp\\left(-\\frac{1}{2\\sigma^2} (y - Xw)^\\top "
              "(y - Xw)\\right)$$\n")


def test_a_law_of_n_dimensions_is_no_scalar_law(tmp_path):
    """(2πσ²)^{N/2}: a normalising constant of N dimensions (as (2π)^{d/2} was), so its scalar reading -- which does
    not normalise -- is no instance of it: no DS204 question; a scalar slip still is one."""
    assert _flags(tmp_path, REGRESSION) == {}
    assert _flags(tmp_path, FEATURES_WRONG, frozenset({"DS204"})) == {7: "DS204"}


# --- 5. DS001: a name the document sets in a form the judge cannot use -----------------------------------------

THRESHOLD = ("# Threshold sampling\n\nThe procedure takes positive weights $w_1, \\dots, w_n$ and a budget $m$:\n\n"
             "$$\n\\begin{align*}\n&\\quad r_j \\gets v_j / w_j \\text{ for each } j \\\\\n"
             "&\\quad \\theta \\gets \\text{the } (m+1)\\text{-th smallest } r_j\n\\end{align*}\n$$\n\n"
             "We call it with the target probabilities in place of the weights.\n\n"
             "Why the scale? For a kept item it is $c_j = \\frac{q_j}{\\min(1, w_j \\theta)} = \\max(w_j, 1/\\theta)$, "
             "an inverse inclusion probability.\n")
THRESHOLD_WRONG = THRESHOLD + "\nExpanding a square, $(w_j + q_j)^2 = w_j^2 + q_j^2$.\n"


def test_a_definition_the_judge_cannot_use(tmp_path):
    assert [r for r in _judged(tmp_path, THRESHOLD) if r[1] == "disagrees"] == []
    assert [r for r in _judged(tmp_path, THRESHOLD_WRONG) if r[1] == "disagrees"] == [(16, "disagrees", "DS001")]


# --- 7. DS003: w^0 is the starting iterate, not w to the power zero -----------------------------------------

START = ("# Gradient descent\n\nWe start the iterates at the origin,\n\n$$\\theta^0 = 0$$\n\n"
         "and update them by $\\theta^{k+1} = \\theta^k - \\eta g^k$. A second run starts from $V^{0} = 3$.\n")
START_WRONG = START + "\nA worked power: with $a = 2$ we get $a^3 = 9$, and $2^0 = 0$.\n"


def test_a_superscript_zero_names_the_starting_iterate(tmp_path):
    assert [r for r in _judged(tmp_path, START) if r[1] == "disagrees"] == []
    wrong = [r for r in _judged(tmp_path, START_WRONG) if r[1] == "disagrees"]
    assert [r[2] for r in wrong] == ["DS003", "DS003"]  # a^3 = 9 and 2^0 = 0: numbers to a power are still powers


# --- 8. DS001: an iterate's superscript is an index -----------------------------------------------------------

DESCENT = ("# Descent on a quadratic\n\nEach coordinate of gradient descent on the quadratic moves by "
           "$x_i^{k+1} = x_i^k - \\alpha \\lambda_i x_i^k$, so\n\n"
           "$$x_i^{k+1} = x_i^{k} - \\alpha\\lambda_i x_i^{k} = (1 - \\alpha\\lambda_i) x_i^k "
           "= (1 - \\alpha\\lambda_i)^{k+1} x_i^0$$\n\n"
           "and a slip elsewhere on the page: $(a + b)^2 = a^2 + b^2$.\n")
DESCENT_TWIN = DESCENT.replace("^{k+1} x_i^0", "^{k} x_i^0")  # wrong (power k), but not shown wrong by the reading
POLYNOMIAL = ("# A polynomial\n\nThe series is $p(x) = \\sum_k c_k x^k$, and its terms grow by one factor at a time:\n\n"
              "$$x^{k+1} = x \\cdot x^k$$\n\nand two steps do not add:\n\n$$x^{k+2} = x^k + x^{k+1}$$\n")


def test_an_iterate_superscript_is_an_index(tmp_path):
    for text in (DESCENT, DESCENT_TWIN):
        judged = _judged(tmp_path, text)
        assert [r for r in judged if r[1] == "disagrees"] == [(7, "disagrees", "DS001")]  # only (a + b)^2
        assert (5, "unchecked", None) in judged  # the chain: a definition, a factoring, x^k against x^0
    judged = _judged(tmp_path, POLYNOMIAL)  # no update: x^k is x to the power k, a wrong power still flagged
    assert (5, "proved", None) in judged
    assert (9, "disagrees", "DS001") in judged


# --- 9. DS001: a letter the document calls its group's identity element is no number --------------------------

IDENTITIES = (
    "# Groups\n\nA group is a set with a binary operation. Let $e$ be the identity element of $G$. For any $g$ in $G$,"
    "\n\n$$g \\cdot e \\cdot e = g \\cdot e = g$$\n\nand a slip elsewhere on the page: $(a + b)^2 = a^2 + b^2$.\n",
    "# Symmetries\n\nComposing two symmetries is the group operation, and the symmetry that moves nothing is the "
    "neutral element, $e$. So\n\n$$e \\cdot h = h \\cdot e = h$$\n\nand a slip elsewhere on the page: "
    "$(a + b)^2 = a^2 + b^2$.\n",
    "# Monoids\n\nStrings under concatenation form a monoid, where $e$ denotes the identity of the monoid (the empty "
    "string):\n\n$$a \\cdot (b \\cdot e) = (a \\cdot b) \\cdot e = a \\cdot b$$\n\nand a slip elsewhere on the page: "
    "$(a + b)^2 = a^2 + b^2$.\n",
)
# the same chain where nothing redefines e: Euler's number, and g e e = g e is wrong; so where the words describe
# the constant itself
EULER_CHAINS = (
    "# Scaling\n\nFor any real $g$,\n\n$$g \\cdot e \\cdot e = g \\cdot e = g$$\n",
    "# Scaling\n\nHere $e$ is Euler's number, the base of the natural logarithm. For any real $g$,\n\n"
    "$$g \\cdot e \\cdot e = g \\cdot e = g$$\n",
)


def test_the_identity_element_is_not_eulers_number(tmp_path):
    for text in IDENTITIES:
        judged = _judged(tmp_path, text, preview=True)
        assert [r for r in judged if r[1] == "disagrees"] == [(7, "disagrees", "DS001")], text  # only (a + b)^2
        assert (5, "unchecked", None) in judged, text  # the chain in e: its operation is not read
    for text in EULER_CHAINS:
        assert (5, "disagrees", "DS001") in _judged(tmp_path, text, preview=True), text


# --- 10. DS001: a letter with a subscript is the operator applied to the function in it ------------------------

HESSIANS = (
    "# Curvature\n\nFor a twice-differentiable $f(x)$, write $\\mathrm{H}_f$ for its Hessian. A constant shift does "
    "not change it:\n\n$$\\mathrm{H}_{f + 1} = \\mathrm{H}_f + \\mathrm{H}_1 = \\mathrm{H}_f$$\n\n"
    "and a slip nearby: $\\mathrm{H}_f + 2 = \\mathrm{H}_f + 2 \\mathrm{H}_1 + 3$.\n",
    "# Curvature\n\nThe Hessian $\\mathbf{H}_{g}$ of a smooth function $g(x)$ is linear in $g$, and a constant has "
    "none:\n\n$$\\mathbf{H}_{g + 1} = \\mathbf{H}_{g} + \\mathbf{H}_{1} = \\mathbf{H}_{g}$$\n\n"
    "and a slip nearby (a bold H is a matrix, compared as a scalar it is not flagged): $(u + 1)^2 = u^2 + 1$.\n",
    "# Curvature of a log-likelihood\n\nThe Hessian of the log-likelihood does not see a constant added to it:\n\n"
    "$$\\text{H}_{\\log p(x \\mid \\theta) + 1} = \\text{H}_{\\log p(x \\mid \\theta)} + \\text{H}_{1} "
    "= \\text{H}_{\\log p(x \\mid \\theta)}$$\n\n"
    "and a slip nearby: $\\text{H}_{\\log p(x \\mid \\theta)} + 2 = \\text{H}_{\\log p(x \\mid \\theta)} + 2 \\text{H}_{1} + 3$.\n",
    "# Linearity\n\nLet $J_f$ denote the Jacobian of a map $f(x)$. A constant shift of the map leaves it "
    "unchanged:\n\n$$D = J_{f + 1} - J_{f} + c = c$$\n\nand a slip nearby: $J_{f} + 3 = J_{f} + 2 J_{1} + 2$.\n",
)
# the same letter where nothing makes it an operator: H_1 is a name of its own, and H_1 + F = F (a chain step) is wrong
NAMED_H = "# Two numbers\n\nTake two numbers $H_1$ and $F$, and their sum\n\n$$G = H_1 + F = F$$\n"


def test_a_hessian_of_a_constant_is_zero(tmp_path):
    for text in HESSIANS:
        judged = _judged(tmp_path, text, preview=True)
        assert [r for r in judged if r[1] == "disagrees"] == [(7, "disagrees", "DS001")], text  # only the slip
        assert (5, "disagrees", None) not in judged and any(r[0] == 5 for r in judged), text
    for text in (HESSIANS[0], HESSIANS[2]):  # the Hessian of the constant 1 read as 0: the chain holds
        assert (5, "proved", None) in _judged(tmp_path, text, preview=True), text
    assert (5, "disagrees", "DS001") in _judged(tmp_path, NAMED_H, preview=True)


# --- 11. DS206, DS306, DS101, DS102, DS103: names read by their notation and the words about them ----------------

def _left_alone_beside_twins(tmp_path, texts, wrong: str, code: str, flags: int) -> None:
    """Each shape in ``texts`` is not flagged, and with ``wrong`` appended ``code`` flags exactly ``flags`` lines."""
    for text in texts:
        assert _flags(tmp_path, text) == {}, text
        assert sorted(_flags(tmp_path, text + wrong, frozenset({code})).values()) == [code] * flags, text + wrong


# DS206: "the probability that $Y = 4$" makes the formula the event, not a probability; a random variable, a data
# value and a count are no probability either. The words must call the name itself one.
EVENTS = (
    "# Waiting for heads\n\nLet $Y$ denote the toss at which the first head shows. So $Y$ is a random variable.\n\n"
    "#### Probability that $Y = 4$?\n\n$$P(Y = 4) = (1/2)^4$$\n",
    "# Labelling a new point\n\nA new reading arrives, say $t = 240$, and we want its cluster. We are interested in "
    "the probability of labelling $t = 240$ as an outlier, which the posterior gives.\n",
    "# Arrivals\n\nLet $M \\sim \\mathrm{Pois}(\\lambda)$ count the emails in an hour. The chance of seeing $M = 12$ is "
    "small, and to estimate the probability of a reply we write to\n\n$$n = 500$$\n\ncustomers.\n",
)
# the same documents with a probability the words name written as 1.5 (the sentence gives the display as its
# value) and one the document calls a probability by name
EVENTS_WRONG = ("\nThe probability of a reply is\n\n$$\\rho = 1.5$$\n\nand with the probability $r$ that an email is "
                "spam, $r = 1.2$ by a slip.\n")


def test_a_name_in_the_event_is_not_a_probability(tmp_path):
    _left_alone_beside_twins(tmp_path, EVENTS, EVENTS_WRONG, "DS206", 2)


# DS306: more phrasings of the product of norms (single bars, subscripts, \lVert), and a norm truly negative
ANGLES = (
    "# Norms\n\nThe cosine of the angle between two vectors follows from\n\n$$|x||y|\\cos\\phi = x \\cdot y$$\n",
    "# Norms\n\nWith lengths, $\\|w\\|_2 \\|v\\|_2 \\cos \\alpha = w^\\top v$, negative for an obtuse angle.\n",
    "# Norms\n\nThe projection length is signed:\n\n"
    "$$\\lVert a \\rVert \\, \\lVert b \\rVert \\cos \\gamma = \\langle a, b \\rangle$$\n",
)
ANGLES_WRONG = "\nThe length of a two-vector is\n\n$$\\|u\\|_1 = u_1 - u_2 - 3$$\n"


def test_products_of_norms_in_other_notations(tmp_path):
    _left_alone_beside_twins(tmp_path, ANGLES, ANGLES_WRONG, "DS306", 1)


# DS101: a sum over samples, steps or data points indexed by its own index may carry the argument
SAMPLED = (
    "# Volume rendering\n\nThe colour seen along a ray $r$ is estimated from $N$ points sampled on it:\n\n"
    "$$\\hat{C}(r) = \\sum_{i = 1}^{N} T_{i} \\alpha_{i} c_{i}$$\n",
    "# Returns\n\nThe return of a policy $\\pi$ over one episode is\n\n$$J(\\pi) = \\sum_{t=0}^{T} \\gamma^{t} r_{t}$$\n",
    "# Empirical risk\n\nThe empirical risk of a hypothesis $h$ averages the losses on the training set:\n\n"
    "$$R(h) = \\frac{1}{n} \\sum_{k=1}^{n} \\ell_{k}$$\n",
)
# a sum of quantities the document calls constant, and a sum of its index alone, truly lack the argument
SAMPLED_WRONG = ("\nThe constants $a_1, \\dots, a_m$ are fixed in advance. The score of an input $u$ is\n\n"
                 "$$s(u) = \\sum_{j=1}^{m} a_{j}$$\n\nand the cost of a size $v$ is\n\n$$q(v) = \\sum_{j=1}^{m} j^2$$\n")


def test_indexed_samples_may_carry_the_argument(tmp_path):
    _left_alone_beside_twins(tmp_path, SAMPLED, SAMPLED_WRONG, "DS101", 2)


# DS102: a divergence binds the variables of its laws; a sum's index set written as an equation binds its names
BINDERS = (
    "# The evidence bound\n\nThe objective splits into a reconstruction term and a KL term:\n\n"
    "$$\\mathbb{E}_{q(z;\\lambda)}\\left[\\log \\frac{p(x \\mid z) p(z)}{q(z;\\lambda)}\\right] = "
    "\\mathbb{E}_{q(z;\\lambda)}\\left[\\log p(x \\mid z)\\right] - \\mathrm{KL}(q(z;\\lambda) \\| p(z))$$\n",
    "# Variational Bayes\n\nFor weights $w$ with posterior approximation $q$,\n\n"
    "$$\\mathbb{E}_{q(w)}[\\log p(y \\mid w) + \\log p(w) - \\log q(w)] = "
    "\\mathbb{E}_{q(w)}[\\log p(y \\mid w)] - D_{\\mathrm{KL}}(q(w) \\| p(w))$$\n\nwhere by definition\n\n"
    "$$D_{\\mathrm{KL}}(q(w) \\| p(w)) = \\mathbb{E}_{q}[\\log q(w) - \\log p(w)]$$\n",
    "# Convolutions\n\nThe product of two polynomials collects the pairs of exponents that add up:\n\n"
    "$$\\sum_{i+j=n} a_i b_j = \\sum_{j+i=n} b_j a_i$$\n\nand for functions on the integers,\n\n"
    "$$\\sum_{s+t=k} u(s) v(t) = \\sum_{t+s=k} v(t) u(s)$$\n",
)
# an expectation, a divergence and a constrained sum dropped: the variable is truly free on the right only
BINDERS_WRONG = ("\nA slip drops the expectation:\n\n$$\\mathbb{E}_{q(z)}[\\log p(x \\mid z)] = \\log p(x \\mid z)$$\n\n"
                 "another the divergence's average:\n\n$$\\mathrm{KL}(q(v) \\| p(v)) = \\log q(v) - \\log p(v)$$\n\n"
                 "and another the sum:\n\n$$\\sum_{a+b=c} f(a) g(b) = f(a) g(c - a)$$\n")


def test_divergences_and_constrained_sums_bind(tmp_path):
    _left_alone_beside_twins(tmp_path, BINDERS, BINDERS_WRONG, "DS102", 3)


# DS103: in a full conditional the given stands for all the rest; its indices are no index of the quantity
CONDITIONALS = (
    "# Topic models\n\nBy conjugacy the full conditionals are\n\n"
    "$$p(\\mathbf{b}_k \\mid z_{iv} = k, \\mathbf{\\pi}_i) = \\mathrm{Dir}(\\gamma + \\sum_i \\sum_l "
    "\\mathbb{I}(y_{il} = v, z_{il} = k))$$\n",
    "# A Gaussian mixture\n\nIn the Gibbs sampler each mean is drawn given the assignments of all points:\n\n"
    "$$p(\\mu_k \\mid z_i, x_i) = \\mathcal{N}\\left(\\frac{\\sum_{i} r_{ik} x_i}{1 + \\sum_{i} r_{ik}}, "
    "\\frac{1}{1 + \\sum_{i} r_{ik}}\\right)$$\n",
    "# A Poisson model\n\nThe rate given every count, $y_{-j}$ standing for the others as usual, is\n\n"
    "$$p(\\lambda \\mid y_j, y_{-j}) = \\mathrm{Gamma}(a + \\sum_{j} y_j, b + n)$$\n",
)
# the law's own index summed away, and an output's index summed away
CONDITIONALS_WRONG = ("\nA slip sums the law's own index away:\n\n"
                      "$$p(\\theta_d \\mid z) = \\mathrm{Dir}(\\alpha + \\sum_{d} n_{d})$$\n\n"
                      "and another an output's:\n\n$$h_k = \\sum_{k=1}^{K} v_{k} u_{k}$$\n")


def test_an_index_of_the_given_is_not_the_quantitys(tmp_path):
    _left_alone_beside_twins(tmp_path, CONDITIONALS, CONDITIONALS_WRONG, "DS103", 2)


# --- 12. DS212: probabilities in words that are not a law's whole table ------------------------------------------

IN_WORDS_LEFT_ALONE = (
    "Dropout keeps each unit: if $M \\sim \\mathrm{Bern}(r)$, then $M$ is 1 with probability $r$ and 0 otherwise.\n",
    "Given the class, if $Z = 1$ the label $Y$ is 1 with probability 0.9; if $Z = 0$ it is 1 with probability 0.3.\n",
    "With $n = 3$ draws, $X$ is 1 with probability 0.2 and 2 with probability 0.3, and larger values are rarer.\n",
    "If $A \\sim \\mathrm{Bern}(p)$ and $B \\sim \\mathrm{Bern}(q)$, then $A$ is 1 with probability $p$ and $B$ is 1 "
    "with probability $q$.\n",
    "For $t = 2$ the bound holds with probability at least $1 - \\delta$ and fails with probability at most "
    "$\\delta$.\n",
)
IN_WORDS_WRONG = ("If $A \\sim \\mathrm{Bern}(p)$, then $A$ is 1 with probability $p$ and 0 with probability "
                  "$p + 1/2$.\n")


def test_probabilities_in_words_that_are_not_a_whole_law(tmp_path):
    for text in IN_WORDS_LEFT_ALONE:
        assert _flags(tmp_path, text) == {}, text
    assert _flags(tmp_path, IN_WORDS_WRONG, frozenset({"DS212"})) == {1: "DS212"}
